// The JS SDK's CreateConfInfo -> REST mapping against the shared fixtures
// (crates/convene-proto/tests/fixtures/create_map.json), which the Rust
// mapping is held to as well. Run by crates/convene-server/tests/js_sdk.rs:
//   node web/tests/create_map.mjs crates/convene-proto/tests/fixtures/create_map.json
import { readFileSync } from 'node:fs';
import { deepStrictEqual } from 'node:assert/strict';
import { toRestSchedule, toRestBooking } from '../sdk/mapping.js';

const [fixture] = process.argv.slice(2);
if (!fixture) { console.error('usage: node create_map.mjs <create_map.json>'); process.exit(2); }
const { cases, bookings } = JSON.parse(readFileSync(fixture, 'utf8'));
let failed = 0;
const checks = [
  ...cases.map((c) => [c.name, () => toRestSchedule(c.createConfInfo), c.rest]),
  ...bookings.map((c) => [c.name, () => toRestBooking(c.bookConfParam), c.rest]),
];
for (const [name, map, rest] of checks) {
  try {
    // What a page would pass: a round trip through JSON drops nothing the SDK reads.
    deepStrictEqual(JSON.parse(JSON.stringify(map())), rest);
    console.log(`ok ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
