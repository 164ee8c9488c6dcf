// Prints, as JSON, every case of one xAPI version of ADL's conformance suite, without running any:
// a list of title paths (the titles of the enclosing describe blocks, then the test's own title).
// The harness (tests/xapi_conformance/harness.py) copies this file into the suite's bin/ folder
// and runs it there, so that `mocha` is the suite's own. The run log names only the cases that
// ran; this list also names those a failed setup step skipped.
'use strict';

const path = require('path');
const fs = require('fs');
const Mocha = require('mocha');
const specConfig = require('../specConfig');

const version = process.argv[2];
const folder = specConfig.specToFolder[version];
if (!folder) {
    console.error(`unknown xAPI version: ${version}`);
    process.exit(2);
}

// The test files read these when they load, as they do under bin/lrs-test.js.
process.env.DIRECTORY = folder;
process.env.XAPI_VERSION = version;
process.env.LRS_ENDPOINT = process.env.LRS_ENDPOINT || 'http://127.0.0.1:9/xapi';
process.env.BASIC_AUTH_ENABLED = 'true';
process.env.BASIC_AUTH_USER = 'list';
process.env.BASIC_AUTH_PASSWORD = 'list';

const mocha = new Mocha({ ui: 'bdd' });
const directory = path.join(__dirname, '..', 'test', folder);
fs.readdirSync(directory)
    .filter((file) => file.endsWith('.js'))
    .forEach((file) => mocha.addFile(path.join(directory, file)));
mocha.loadFiles();

const cases = [];
function walk(suite, titles) {
    suite.tests.forEach((test) => cases.push([...titles, test.title]));
    suite.suites.forEach((child) => walk(child, [...titles, child.title]));
}
walk(mocha.suite, []);
process.stdout.write(JSON.stringify(cases));
