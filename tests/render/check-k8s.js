// Validates the output of `stagegate render k8s` strictly (an unknown field anywhere fails)
// against the Kubernetes v1.32 schemas in tests/fixtures/rollouts/ (verbatim copies of
// ../shared/fixtures/k8s/), checks the shape the SPEC asks (a ConfigMap with the pipeline, an
// Indexed Job with completions = parallelism = N, a merge Job, both on the claim), proves the
// check has teeth (a copy of each object with one unknown field must fail) and writes, for the
// caller to run, each Job's script and environment and the ConfigMap's pipeline to OUT_DIR.
//   NODE_PATH=tests/schema/node_modules node tests/render/check-k8s.js ROOT RENDERED.yaml N CLAIM OUT_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const { newAjv, k8sSchema, failures } = require("../rollouts/k8s-ajv");

const [root, rendered, nText, claim, outDir] = process.argv.slice(2);
const n = Number(nText);
const { fail, exit } = failures();

const ajv = newAjv();
const validators = {
  Job: ajv.compile(k8sSchema(root, "k8s-job-batch-v1.json")),
  ConfigMap: ajv.compile(k8sSchema(root, "k8s-configmap-v1.json")),
};

const docs = yaml.loadAll(fs.readFileSync(rendered, "utf8")).filter((d) => d);
const kinds = docs.map((d) => d.kind).join(",");
if (kinds !== "ConfigMap,Job,Job") fail(`expected ConfigMap,Job,Job, got ${kinds}`);
for (const doc of docs) {
  const validate = validators[doc.kind];
  if (!validate) {
    fail(`no schema for kind ${doc.kind}`);
    continue;
  }
  if (!validate(doc)) {
    fail(`${doc.kind} ${doc.metadata && doc.metadata.name}: ` +
         ajv.errorsText(validate.errors, { separator: "\n  " }));
  }
  // Teeth: one unknown field, at the top, in the spec and deep in the pod template.
  const places = [(o) => o, (o) => o.metadata];
  if (doc.kind === "Job") {
    places.push((o) => o.spec, (o) => o.spec.template.spec.containers[0]);
  }
  for (const place of places) {
    const broken = JSON.parse(JSON.stringify(doc));
    place(broken).bogusField = 1;
    if (validate(broken)) fail(`${doc.kind}: an unknown field was accepted (the check has no teeth)`);
  }
}

const [configMap, segments, merge] = docs;
const nameOk = (name) => /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 63;
for (const doc of docs) {
  if (!nameOk(doc.metadata.name)) fail(`${doc.metadata.name}: not a DNS-1123 label`);
}
if (typeof configMap.data["pipeline.yaml"] !== "string") fail("the ConfigMap has no pipeline.yaml");
if (segments.spec.completionMode !== "Indexed") fail("the segments Job is not Indexed");
if (segments.spec.completions !== n || segments.spec.parallelism !== n) {
  fail(`completions ${segments.spec.completions}, parallelism ${segments.spec.parallelism}, want ${n}`);
}
if (merge.spec.completions !== 1 || merge.spec.completionMode) fail("the merge Job is not one pod");
for (const job of [segments, merge]) {
  const pod = job.spec.template.spec;
  const claims = pod.volumes.filter((v) => v.persistentVolumeClaim).map((v) => v.persistentVolumeClaim.claimName);
  if (claims.join() !== claim) fail(`${job.metadata.name}: claim ${claims}, want ${claim}`);
  const config = pod.volumes.find((v) => v.configMap);
  if (!config || config.configMap.name !== configMap.metadata.name) fail(`${job.metadata.name}: not on the ConfigMap`);
  const c = pod.containers[0];
  if (JSON.stringify(c.command) !== '["sh","-c"]' || c.args.length !== 1) fail(`${job.metadata.name}: not sh -c SCRIPT`);
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  if (env.N !== String(n)) fail(`${job.metadata.name}: N=${env.N}`);
  const which = job === segments ? "segment" : "merge";
  fs.writeFileSync(path.join(outDir, `${which}.sh`), c.args[0]);
  fs.writeFileSync(path.join(outDir, `${which}.env`),
                   Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
}
fs.writeFileSync(path.join(outDir, "pipeline.yaml"), configMap.data["pipeline.yaml"]);
exit();
