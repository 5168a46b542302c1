// What the Kubernetes manifest checks (tests/render/check-k8s.js, tests/rollouts/check-manifests.js)
// share: the strict reading of a schema, the ajv instance they validate with, the schemas in
// tests/fixtures/rollouts/, and the FAIL counter. Needs NODE_PATH=tests/schema/node_modules.
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv = require("ajv").default;
const addFormats = require("ajv-formats");

// Closes every object schema that names its properties, and drops the Kubernetes extensions
// (x-kubernetes-int-or-string comes with an anyOf integer/string, which ajv checks). The
// batch/v1 and v1 fixtures are closed already; the CRDs' openAPIV3Schema are not, and the API
// server's strict field validation treats them as closed unless they preserve unknown fields.
function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-") || key === "$schema") continue;
    out[key] = key === "enum" || key === "required" ? value : strict(value);
  }
  if (schema.properties && schema["x-kubernetes-preserve-unknown-fields"] !== true &&
      !("additionalProperties" in schema)) {
    out.additionalProperties = false;
  }
  return out;
}

// An ajv that reports every error and knows the formats the Kubernetes schemas name
// (date-time, int32, int64, byte).
function newAjv() {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

// tests/fixtures/rollouts/ under the repository ROOT.
const fixturesDir = (root) => path.join(root, "tests/fixtures/rollouts");

// A JSON schema of tests/fixtures/rollouts/ (k8s-job-batch-v1.json, ...), read strictly.
const k8sSchema = (root, file) =>
  strict(JSON.parse(fs.readFileSync(path.join(fixturesDir(root), file), "utf8")));

// fail(message) prints FAIL: message and counts it; exit() ends with 1 when anything failed.
function failures() {
  let count = 0;
  return {
    fail: (message) => {
      console.log(`FAIL: ${message}`);
      count += 1;
    },
    exit: () => process.exit(count === 0 ? 0 : 1),
  };
}

module.exports = { strict, newAjv, fixturesDir, k8sSchema, failures };
