/** `npm run ops -- <command>`: see local/ops.ts (commands, options, exit codes). */
import { runOps } from './ops';

process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
