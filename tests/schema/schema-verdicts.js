// Prints one line per file: "<file>\t<valid|invalid|unreadable>\t<first problem>", reading
// each YAML file as ajv-cli does (js-yaml) and validating it against the pipeline schema
// (draft-07, formats). One node process for the whole corpus.
//   node schema-verdicts.js SCHEMA.json FILE...
"use strict";
const fs = require("fs");
const Ajv = require("ajv").default;
const addFormats = require("ajv-formats");
const yaml = require("js-yaml");

const [schemaFile, ...files] = process.argv.slice(2);
const ajv = new Ajv({ allErrors: false, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
for (const file of files) {
  let data;
  try {
    data = yaml.safeLoad(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`${file}\tunreadable\t${String(e.message).split("\n")[0]}`);
    continue;
  }
  if (validate(data)) {
    console.log(`${file}\tvalid\t`);
  } else {
    const e = validate.errors[0];
    console.log(`${file}\tinvalid\t${e.instancePath} ${e.message}`);
  }
}
