#!/usr/bin/env node
// prebuildify calls this in place of node-gyp. cmake-js reads prebuildify's
// arguments differently, so they are dropped: build the Node-API addon for
// the running Node, where prebuildify looks for it (build/Release).
import { execSync } from 'node:child_process';
execSync('npx cmake-js rebuild --out build', { stdio: 'inherit' });
