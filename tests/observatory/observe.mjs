#!/usr/bin/env node
// Drive the real MDN HTTP Observatory (npm @mdn/mdn-http-observatory) against live loopback servers.
//
// Its CLI takes one "host:port" and tries https and http on that same port; our test servers listen on
// separate http and https ports, so this script calls the Observatory's own retriever with
// {httpPort, httpsPort} and then scores exactly like its scanner (src/scanner/index.js): same tests,
// same grader, same extra-credit rule. Nothing here re-implements a test.
//
// usage: OBSERVATORY_DIR=.../node_modules/@mdn/mdn-http-observatory \
//        NODE_EXTRA_CA_CERTS=ca.pem node observe.mjs < targets.json
// stdin: [{"id": "...", "hostname": "127.0.0.1", "httpPort": "8080", "httpsPort": "8443"}, ...]
// stdout: [{"id": "...", "grade": "B+", "score": 80, "tests": {"redirection": "redirection-missing", ...}}]

import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.OBSERVATORY_DIR;
if (!dir) {
  console.error("OBSERVATORY_DIR is not set");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(dir, rel)).href);

const { retrieve } = await load("src/retriever/retriever.js");
const { ALL_TESTS } = await load("src/constants.js");
const { getGradeForScore, getScoreModifier } = await load("src/grader/grader.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load("src/grader/charts.js");

async function observe(target) {
  const options = {};
  if (target.httpPort) options.httpPort = String(target.httpPort);
  if (target.httpsPort) options.httpsPort = String(target.httpsPort);
  const r = await retrieve(target.hostname, options);
  if (!r.responses.auto) {
    return { id: target.id, error: "The site seems to be down." };
  }
  const { status } = r.responses.auto;
  if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
    return { id: target.id, error: `unexpected HTTP status code ${status}` };
  }
  const results = ALL_TESTS.map((test) => test(r));
  let scoreWithExtraCredit = 100;
  let uncurvedScore = 100;
  const tests = {};
  for (const result of results) {
    if (result.result) {
      const modifier = getScoreModifier(result.result);
      scoreWithExtraCredit += modifier;
      if (modifier < 0) uncurvedScore += modifier;
    }
    tests[result.constructor.name] = result.result;
  }
  const score =
    uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
  const final = getGradeForScore(score);
  return { id: target.id, grade: final.grade, score: final.score, tests };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const targets = JSON.parse(input);
const out = [];
for (const t of targets) {
  try {
    out.push(await observe(t));
  } catch (e) {
    out.push({ id: t.id, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
