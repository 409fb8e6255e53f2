// Preloaded into CLI child processes by tests and benches (NODE_OPTIONS=--require ...): appends this
// process's peak resident set size (and the temp folder it used) to $LEDGERLAKE_PEAK_RSS_FILE when it exits. The shipped binary
// re-executes itself with its heap flags; the environment carries the preload into that process too.
const { appendFileSync } = require('node:fs');
const { tmpdir } = require('node:os');

const file = process.env.LEDGERLAKE_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const line = { pid: process.pid, maxRssMiB: process.resourceUsage().maxRSS / 1024, tmpdir: tmpdir() };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
