// Walks every answer of `GET /pipelines/NAME/verdict` through the web-provider metric shipped
// in examples/rollouts/analysistemplate-web.yaml, judged as Argo Rollouts v1.9.1 judges a
// measurement (tests/fixtures/rollouts/ARGO-PROVIDERS.md: webmetric.go and evaluate.go):
//   non-2xx -> Error; body not JSON -> Successful, conditions not evaluated (v1.9.1; on master
//   the raw body is the result and the conditions are evaluated); jsonPath without a match ->
//   Error; then neither condition set -> Successful, only success -> Failed when false, only
//   failure -> Successful when false, both -> Failed when failure is true, Successful when
//   success is true, else Inconclusive; a condition that is not a bool -> Error.
// The conditions are read from the manifest and evaluated by a small interpreter of the
// subset of expr (antonmedv/expr) they may use: `result`, 'strings' / "strings", numbers,
// true/false/nil, == != && || ! not, in [..], ( ). Anything else fails the test, so a
// condition this file cannot read is never passed by accident.
//   NODE_PATH=tests/schema/node_modules node tests/rollouts/check-verdicts.js ROOT
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

const root = process.argv[2];
const file = path.join(root, "examples/rollouts/analysistemplate-web.yaml");
const template = yaml.safeLoad(fs.readFileSync(file, "utf8"));
const metric = template.spec.metrics.find((m) => m.provider && m.provider.web);
if (!metric) {
  console.log(`FAIL: ${file} has no web metric`);
  process.exit(1);
}

// --- expr subset ---
function tokenize(text) {
  const tokens = [];
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(==|!=|&&|\|\||[!()[\],])|([0-9]+(?:\.[0-9]+)?)|([A-Za-z_][A-Za-z0-9_]*))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read the condition at "${text.slice(at)}"`);
    if (m[1] !== undefined) tokens.push({ kind: "value", value: m[1].slice(1, -1).replace(/\\(.)/g, "$1") });
    else if (m[2] !== undefined) tokens.push({ kind: "op", value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: "value", value: Number(m[3]) });
    else tokens.push({ kind: "word", value: m[4] });
    at = re.lastIndex;
  }
  return tokens;
}

function evaluate(text, result) {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (v) => peek() && (peek().kind === "op" || peek().kind === "word") && peek().value === v;
  const expect = (v) => {
    if (!isOp(v)) throw new Error(`expected ${v} in "${text}"`);
    i += 1;
  };
  const primary = () => {
    const t = tokens[i++];
    if (!t) throw new Error(`unexpected end of "${text}"`);
    if (t.kind === "value") return t.value;
    if (t.kind === "word") {
      if (t.value === "result") return result;
      if (t.value === "true") return true;
      if (t.value === "false") return false;
      if (t.value === "nil") return null;
      if (t.value === "not") return !truthy(unary());
      throw new Error(`unsupported name ${t.value} in "${text}"`);
    }
    if (t.value === "(") {
      const v = or();
      expect(")");
      return v;
    }
    if (t.value === "[") {
      const list = [];
      while (!isOp("]")) {
        list.push(or());
        if (isOp(",")) i += 1;
        else break;
      }
      expect("]");
      return list;
    }
    if (t.value === "!") return !truthy(unary());
    throw new Error(`unexpected ${t.value} in "${text}"`);
  };
  const unary = () => primary();
  const truthy = (v) => {
    if (typeof v !== "boolean") throw new Error(`expected bool, but got ${JSON.stringify(v)}`);
    return v;
  };
  const comparison = () => {
    let left = unary();
    for (;;) {
      if (isOp("==")) { i += 1; left = equal(left, unary()); }
      else if (isOp("!=")) { i += 1; left = !equal(left, unary()); }
      else if (isOp("in")) {
        i += 1;
        const list = unary();
        if (!Array.isArray(list)) throw new Error(`"in" needs a list in "${text}"`);
        left = list.some((v) => equal(left, v));
      } else return left;
    }
  };
  const and = () => {
    let left = comparison();
    while (isOp("&&") || isOp("and")) { i += 1; const right = comparison(); left = truthy(left) && truthy(right); }
    return left;
  };
  const or = () => {
    let left = and();
    while (isOp("||") || isOp("or")) { i += 1; const right = and(); left = truthy(left) || truthy(right); }
    return left;
  };
  const value = or();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i].value} in "${text}"`);
  if (typeof value !== "boolean") throw new Error(`expected bool, but got ${JSON.stringify(value)}`);
  return value;
}
const equal = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// --- Argo's judgement of one measurement ---
function evaluateResult(result) {
  const success = metric.successCondition;
  const failure = metric.failureCondition;
  try {
    if (!success && !failure) return "Successful";
    if (success && !failure) return evaluate(success, result) ? "Successful" : "Failed";
    if (!success && failure) return evaluate(failure, result) ? "Failed" : "Successful";
    if (evaluate(failure, result)) return "Failed";
    if (evaluate(success, result)) return "Successful";
    return "Inconclusive";
  } catch (e) {
    return `Error (${e.message})`;
  }
}

// client-go jsonpath, the forms `{$}` and `{$.a.b}` only.
function jsonPath(doc, expression) {
  const m = /^\{\$((?:\.[A-Za-z0-9_-]+)*)\}$/.exec(expression || "{$}");
  if (!m) throw new Error(`jsonPath ${expression} is not of the form {$.a.b}`);
  let node = doc;
  for (const key of m[1].split(".").slice(1)) {
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function measure(status, body, argo) {
  if (status < 200 || status >= 300) return "Error";
  let doc;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    if (argo === "v1.9.1") return "Successful";
    return evaluateResult(body).split(" ")[0];
  }
  const result = jsonPath(doc, metric.provider.web.jsonPath);
  if (result === undefined) return "Error";
  return evaluateResult(result).split(" ")[0];
}

// One measurement per analysis (count 1): the run's phase from it, as analysis.go counts.
function runPhase(measurement) {
  const failureLimit = Number(metric.failureLimit || 0);
  const inconclusiveLimit = Number(metric.inconclusiveLimit || 0);
  if (measurement === "Error") return "Error after retries (consecutiveErrorLimit)";
  if (measurement === "Failed" && failureLimit >= 0 && 1 > failureLimit) return "Failed";
  if (measurement === "Inconclusive" && 1 > inconclusiveLimit) return "Inconclusive";
  return measurement === "Successful" ? "Successful" : `not decided (${measurement})`;
}

// `check-verdicts.js ROOT --judge FILE...`: prints "FILE<TAB>measurement" for each saved
// 200 answer of the verdict endpoint (tests/e2e/serve_runs.sh feeds it serve's real answers).
if (process.argv[3] === "--judge") {
  for (const answer of process.argv.slice(4)) {
    console.log(`${answer}\t${measure(200, fs.readFileSync(answer, "utf8"), "v1.9.1")}`);
  }
  process.exit(0);
}

const verdict = (v, code) => JSON.stringify({ verdict: v, exit_code: code, run: "20261203-073000-ab12" });
const cases = [
  // [what, status, body, argo version, expected measurement]
  ["PASS", 200, verdict("PASS", 0), "v1.9.1", "Successful"],
  ["FAIL", 200, verdict("FAIL", 1), "v1.9.1", "Failed"],
  ["ERROR", 200, verdict("ERROR", 3), "v1.9.1", "Failed"],
  ["INCONCLUSIVE", 200, verdict("INCONCLUSIVE", 4), "v1.9.1", "Failed"],
  ["RUNNING", 200, JSON.stringify({ verdict: "RUNNING", exit_code: null, run: "r2" }), "v1.9.1", "Inconclusive"],
  ["an unknown verdict", 200, verdict("PASSED", 0), "v1.9.1", "Failed"],
  // stagegate serve without a run of the pipeline, and for a pipeline it does not have.
  ["no run yet", 200, JSON.stringify({ verdict: "INCONCLUSIVE", exit_code: null, run: null, reason: "no run" }), "v1.9.1", "Failed"],
  ["an unknown pipeline", 200, JSON.stringify({ verdict: "ERROR", exit_code: null, run: null, reason: "no pipeline" }), "v1.9.1", "Failed"],
  ["a JSON answer without verdict", 200, JSON.stringify({ run: "r3" }), "v1.9.1", "Error"],
  ["503 with a PASS body", 503, verdict("PASS", 0), "v1.9.1", "Error"],
  ["401", 401, JSON.stringify({ error: "unauthorized" }), "v1.9.1", "Error"],
  ["404", 404, "not found", "v1.9.1", "Error"],
  // The documented hazard: v1.9.1 passes a body that is not JSON without evaluating anything.
  ["200 with a body that is not JSON", 200, "<html>proxy error</html>", "v1.9.1", "Successful"],
  ["200 with a body that is not JSON", 200, "<html>proxy error</html>", "master", "Failed"],
  ["200 with the text PASS", 200, "PASS", "master", "Successful"],
];

let failures = 0;
for (const [what, status, body, argo, expected] of cases) {
  const got = measure(status, body, argo);
  const line = `${what.padEnd(34)} HTTP ${status} Argo ${argo.padEnd(6)} -> ${got.padEnd(12)} run: ${runPhase(got)}`;
  if (got !== expected) {
    console.log(`FAIL: ${line} (expected ${expected})`);
    failures += 1;
  } else {
    console.log(`ok    ${line}`);
  }
}
// The rules of issue 12 item 4, restated against the table above.
const of = (v) => measure(200, verdict(v, 0), "v1.9.1");
if (of("PASS") !== "Successful") { console.log("FAIL: PASS must be Successful"); failures += 1; }
for (const v of ["FAIL", "ERROR", "INCONCLUSIVE"]) {
  if (of(v) !== "Failed") { console.log(`FAIL: ${v} must be Failed`); failures += 1; }
}
if (of("RUNNING") === "Successful") { console.log("FAIL: RUNNING must never be Successful"); failures += 1; }
process.exit(failures > 0 ? 1 : 0);
