// The Node servers of the compatibility suite (tests/compat/compat.sh), one case each:
//   node servers.js CASE PORT [HOST]
// Every server counts the requests it read and answers GET /__count with that number (the
// count request itself is not counted), so the suite compares stagegate's count with the
// server's own. Cases: chunked, no-content (204), head, not-modified (304 with a
// Content-Length), early-hints (103 before the answer), half-close (socket.end after each
// answer, reading on), close-every-10th (Connection: close on every tenth answer), gzip,
// deflate, big (a 1 MB body), ipv6 (plain answers; listen on ::1 only).
'use strict';
const http = require('http');
const net = require('net');
const zlib = require('zlib');

const [kase, portText, host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portText);
let count = 0;

function countAnswer(res) {
  res.writeHead(200, {'Content-Type': 'text/plain'});
  res.end(String(count));
}

if (kase === 'half-close') {
  // Raw TCP: an answer with Content-Length and no "Connection: close", then a FIN. With
  // allowHalfOpen the server still reads what comes on the connection after it, as Node's
  // socket.end(response) leaves it, but can never answer it. The count is of answers: a
  // request written in the instant before the client saw the FIN (a race no client can
  // close) reaches no one, and the client's retry of it is counted when it is answered.
  const server = net.createServer({allowHalfOpen: true}, (socket) => {
    let buffer = '';
    let ended = false;
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end;
      while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
        const head = buffer.slice(0, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = end + 4 + (length ? Number(length[1]) : 0);
        if (buffer.length < total) {
          break;
        }
        buffer = buffer.slice(total);
        const isCount = head.startsWith('GET /__count ');
        if (ended) {
          continue;  // read on a half-closed connection: no answer is possible
        }
        if (!isCount) {
          count += 1;
        }
        const body = isCount ? String(count) : 'half-close-ok';
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ' +
                   body.length + '\r\n\r\n' + body);
        ended = true;
      }
    });
    socket.on('error', () => {});
  });
  server.listen(port, host);
} else {
  const payload = 'compat-body-' + 'x'.repeat(200);
  const big = Buffer.alloc(1024 * 1024, 'b');
  big.write('big-start');
  const server = http.createServer((req, res) => {
    if (req.url === '/__count') {
      countAnswer(res);
      return;
    }
    count += 1;
    req.resume();
    req.on('end', () => {
      switch (kase) {
        case 'chunked':
          res.writeHead(200, {'Content-Type': 'text/plain'});  // no length: chunked
          res.write('chunk-one ');
          setImmediate(() => res.end('chunk-two'));
          return;
        case 'no-content':
          res.writeHead(204);
          res.end();
          return;
        case 'head':
          // A GET gets the body; a HEAD the same headers (Content-Length 11) and no body.
          res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': '11'});
          res.end(req.method === 'HEAD' ? undefined : 'head-answer');
          return;
        case 'not-modified':
          res.writeHead(304, {'ETag': '"v1"', 'Content-Length': '1234'});
          res.end();
          return;
        case 'early-hints':
          res.writeEarlyHints({link: '</style.css>; rel=preload; as=style'});
          res.writeHead(200, {'Content-Type': 'text/plain'});
          res.end('after-hints');
          return;
        case 'close-every-10th': {
          const headers = {'Content-Type': 'text/plain', 'Content-Length': '2'};
          if (count % 10 === 0) {
            headers['Connection'] = 'close';
          }
          res.writeHead(200, headers);
          res.end('ok');
          return;
        }
        case 'gzip':
        case 'deflate': {
          const encoded = kase === 'gzip' ? zlib.gzipSync(payload) : zlib.deflateSync(payload);
          res.writeHead(200, {'Content-Type': 'application/json', 'Content-Encoding': kase,
                              'Content-Length': String(encoded.length)});
          res.end(encoded);
          return;
        }
        case 'big':
          res.writeHead(200, {'Content-Type': 'application/octet-stream',
                              'Content-Length': String(big.length)});
          res.end(big);
          return;
        default:
          res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': '7'});
          res.end('plainok');
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, host);
}
process.on('SIGTERM', () => process.exit(0));
