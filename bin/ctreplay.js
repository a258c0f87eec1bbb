#!/usr/bin/env node
// The ctreplay command: a thin shell around dist/src/cli.js (built by `npm run build`).
import('../dist/src/cli.js').then(
  (cli) => cli.main(),
  (err) => {
    process.stderr.write(`ctreplay: cannot load the build (${err.message}); run \`npm run build\` first\n`);
    process.exitCode = 2;
  },
);
