// Validates the Kubernetes manifests of examples/rollouts/ strictly (an unknown field anywhere
// fails) against the schemas in tests/fixtures/rollouts/: the Argo AnalysisTemplate CRD and the
// Flagger Canary CRD (their openAPIV3Schema, closed with additionalProperties: false wherever
// the CRD lists properties and does not preserve unknown fields, which is how the API server's
// strict field validation treats them), the batch/v1 Job schema for the job provider's JobSpec
// and the Rollout's pod template, and the v1 ConfigMap schema. The Rollout CRD is not among the
// fixtures: its steps are checked here field by field instead. Then it proves the check has
// teeth: a copy of each manifest with one unknown field must fail.
// Writes the pipeline held by the ConfigMap to OUT_DIR/canary.yaml for the caller to validate.
//   NODE_PATH=tests/schema/node_modules node tests/rollouts/check-manifests.js ROOT OUT_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const { strict, newAjv, fixturesDir, k8sSchema: k8sSchemaOf, failures } = require("./k8s-ajv");

const [root, outDir] = process.argv.slice(2);
const fixtures = fixturesDir(root);
const examples = path.join(root, "examples/rollouts");
const { fail, exit } = failures();

function crdSchema(file, name) {
  const docs = yaml.safeLoadAll(fs.readFileSync(path.join(fixtures, file), "utf8"));
  const crd = docs.find((d) => d && d.metadata && d.metadata.name === name);
  if (!crd) throw new Error(`${file} has no CRD ${name}`);
  const schema = strict(crd.spec.versions[0].schema.openAPIV3Schema);
  // A CRD's root schema leaves apiVersion/kind open; pin them as the API server does.
  const [plural, ...group] = name.split(".");
  void plural;
  schema.properties.apiVersion = { enum: [`${group.join(".")}/${crd.spec.versions[0].name}`] };
  schema.properties.kind = { enum: [crd.spec.names.kind] };
  schema.properties.metadata = {
    type: "object",
    required: ["name"],
    properties: { name: { type: "string" }, namespace: { type: "string" },
                  labels: { type: "object" }, annotations: { type: "object" } },
    additionalProperties: false,
  };
  schema.required = ["apiVersion", "kind", "metadata", "spec"];
  return schema;
}

const k8sSchema = (file) => k8sSchemaOf(root, file);

const ajv = newAjv();
// The Flagger CRD writes `format: string` on plain strings (Istio types): nothing to check.
ajv.addFormat("string", true);
const validators = {
  AnalysisTemplate: ajv.compile(crdSchema("argo-analysis-template-crd.yaml",
                                          "analysistemplates.argoproj.io")),
  Canary: ajv.compile(crdSchema("flagger-crd.yaml", "canaries.flagger.app")),
  Job: ajv.compile(k8sSchema("k8s-job-batch-v1.json")),
  ConfigMap: ajv.compile(k8sSchema("k8s-configmap-v1.json")),
};
const jobSchema = k8sSchema("k8s-job-batch-v1.json");
validators.PodTemplateSpec = ajv.compile(jobSchema.properties.spec.properties.template);

function problems(validate, doc) {
  if (validate(doc)) return [];
  return validate.errors.slice(0, 5).map((e) =>
    `${e.instancePath || "/"} ${e.message}${e.params && e.params.additionalProperty
      ? ` (${e.params.additionalProperty})` : ""}`);
}

function check(label, validate, doc) {
  const found = problems(validate, doc);
  if (found.length > 0) fail(`${label}: ${found.join("; ")}`);
  return found.length === 0;
}

// The same document with `bogus: true` added to the object at `at` (a list of keys).
function withUnknownField(doc, at) {
  const copy = JSON.parse(JSON.stringify(doc));
  let node = copy;
  for (const key of at) node = node[key];
  node.bogus = true;
  return copy;
}

function mustReject(label, validate, doc, at) {
  if (validate(withUnknownField(doc, at))) {
    fail(`${label}: an unknown field at /${at.join("/")} was accepted (the check is not strict)`);
  }
}

// Every document of every example file, by kind.
const byKind = {};
for (const file of fs.readdirSync(examples).filter((f) => f.endsWith(".yaml")).sort()) {
  for (const doc of yaml.safeLoadAll(fs.readFileSync(path.join(examples, file), "utf8"))) {
    if (!doc) continue;
    (byKind[doc.kind] = byKind[doc.kind] || []).push({ file, doc });
  }
}
const kinds = Object.keys(byKind).sort().join(",");
if (kinds !== "AnalysisTemplate,Canary,ConfigMap,Rollout") {
  fail(`examples/rollouts holds kinds ${kinds}, expected AnalysisTemplate,Canary,ConfigMap,Rollout`);
}

let checked = 0;
const templates = {};
for (const { file, doc } of byKind.AnalysisTemplate || []) {
  const label = `${file} (AnalysisTemplate ${doc.metadata.name})`;
  check(label, validators.AnalysisTemplate, doc);
  mustReject(label, validators.AnalysisTemplate, doc, ["spec"]);
  mustReject(label, validators.AnalysisTemplate, doc, ["spec", "metrics", 0, "provider"]);
  templates[doc.metadata.name] = doc;
  for (const metric of doc.spec.metrics) {
    if (metric.provider.job) {
      const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: metric.name },
                    spec: metric.provider.job.spec };
      check(`${label}: provider.job.spec as a batch/v1 Job`, validators.Job, job);
      mustReject(`${label} job`, validators.Job, job, ["spec", "template", "spec"]);
      if (job.spec.backoffLimit !== 0) fail(`${label}: backoffLimit must be 0 (a retry hides a FAIL)`);
      if (job.spec.template.spec.restartPolicy !== "Never") fail(`${label}: restartPolicy must be Never`);
    }
    if (metric.provider.web) {
      if (!metric.successCondition || !metric.failureCondition) {
        fail(`${label}: the web metric needs both conditions (RUNNING must be Inconclusive)`);
      }
    }
  }
  checked += 1;
}

for (const { file, doc } of byKind.Canary || []) {
  const label = `${file} (Canary ${doc.metadata.name})`;
  check(label, validators.Canary, doc);
  mustReject(label, validators.Canary, doc, ["spec", "analysis"]);
  mustReject(label, validators.Canary, doc, ["spec", "analysis", "webhooks", 0]);
  const types = doc.spec.analysis.webhooks.map((w) => w.type).sort().join(",");
  if (types !== "confirm-promotion,pre-rollout,rollback,rollout") {
    fail(`${label}: webhook types ${types}, expected confirm-promotion,pre-rollout,rollback,rollout`);
  }
  for (const hook of doc.spec.analysis.webhooks) {
    if (!/\/flagger\/[A-Za-z0-9_-]+$/.test(hook.url)) fail(`${label}: ${hook.name} does not call POST /flagger/NAME`);
    // stagegate serve takes the hook type from metadata.hook on /flagger/NAME and the token
    // from metadata.token (Flagger sends no headers): README "Flagger".
    const meta = hook.metadata || {};
    if (meta.hook !== hook.type) fail(`${label}: ${hook.name} has metadata.hook ${meta.hook}, serve needs ${hook.type}`);
    if (typeof meta.token !== "string" || meta.token === "") fail(`${label}: ${hook.name} has no metadata.token`);
  }
  checked += 1;
}

for (const { file, doc } of byKind.ConfigMap || []) {
  const label = `${file} (ConfigMap ${doc.metadata.name})`;
  check(label, validators.ConfigMap, doc);
  mustReject(label, validators.ConfigMap, doc, []);
  for (const [key, value] of Object.entries(doc.data || {})) {
    fs.writeFileSync(path.join(outDir, key), value);
  }
  checked += 1;
}

// No Rollout CRD in the fixtures: the pod template against the Kubernetes schema, the rest here.
for (const { file, doc } of byKind.Rollout || []) {
  const label = `${file} (Rollout ${doc.metadata.name})`;
  if (doc.apiVersion !== "argoproj.io/v1alpha1") fail(`${label}: apiVersion ${doc.apiVersion}`);
  check(`${label}: spec.template`, validators.PodTemplateSpec, doc.spec.template);
  mustReject(`${label} template`, validators.PodTemplateSpec, doc.spec.template, ["spec"]);
  const known = new Set(["replicas", "revisionHistoryLimit", "selector", "template", "strategy"]);
  for (const key of Object.keys(doc.spec)) if (!known.has(key)) fail(`${label}: unexpected spec.${key}`);
  const steps = doc.spec.strategy.canary.steps;
  const shape = steps.map((s) => Object.keys(s).join("+") + (s.setWeight ? `=${s.setWeight}` : "")).join(" -> ");
  if (shape !== "setWeight=10 -> analysis -> setWeight=50 -> analysis") {
    fail(`${label}: steps are ${shape}, expected setWeight=10 -> analysis -> setWeight=50 -> analysis`);
  }
  for (const step of steps.filter((s) => s.analysis)) {
    for (const ref of step.analysis.templates) {
      const template = templates[ref.templateName];
      if (!template) {
        fail(`${label}: analysis uses ${ref.templateName}, which examples/rollouts does not define`);
        continue;
      }
      const given = new Set((step.analysis.args || []).map((a) => a.name));
      for (const arg of template.spec.args || []) {
        if (arg.value === undefined && arg.valueFrom === undefined && !given.has(arg.name)) {
          fail(`${label}: ${ref.templateName} needs the argument ${arg.name}`);
        }
      }
    }
  }
  if (doc.spec.selector.matchLabels.app !== doc.spec.template.metadata.labels.app) {
    fail(`${label}: the selector does not select the pod template`);
  }
  checked += 1;
}

console.log(`checked ${checked} manifests strictly; wrote the ConfigMap's pipeline to ${outDir}`);
exit();
