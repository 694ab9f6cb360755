// `npm install` entry: use a prebuild when one loads, else build the addon
// from source with cmake-js (offline: Node-API headers come from npm), then
// compile the TypeScript when the compiler is present (a git checkout).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

function prebuildLoads() {
  if (!existsSync(join(root, 'prebuilds'))) return false;
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

// Installed into another project (npm install lodestone-x.y.z.tgz) there is no
// cmake-js: build with the node-gyp that npm runs install scripts with
// (npm_config_node_gyp), which needs no network.
function nodeGyp() {
  const bundled = process.env.npm_config_node_gyp;
  return bundled && existsSync(bundled) ? `"${process.execPath}" "${bundled}"` : 'npx node-gyp';
}

if (!prebuildLoads()) {
  if (existsSync(join(root, 'node_modules', 'cmake-js'))) {
    run('npx cmake-js rebuild --out build');
  } else {
    run(`${nodeGyp()} rebuild --jobs max --nodedir=/usr`);
  }
}
if (existsSync(join(root, 'node_modules', 'typescript')) && existsSync(join(root, 'tsconfig.build.json'))) {
  run('npm run build:ts');
}
