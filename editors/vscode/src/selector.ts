// Which documents driftls serves. Narrow on purpose: a plain YAML or Groovy file is only sent to
// the server when its path makes it a compose file, a CI pipeline or a Jenkinsfile.
import type { DocumentFilter } from 'vscode-languageclient';

const COMPOSE = [
  '**/{compose,docker-compose}.{yml,yaml}',
  '**/{compose,docker-compose}.*.{yml,yaml}',
];
const CI = ['**/.github/workflows/*.{yml,yaml}', '**/.gitlab-ci.yml', '**/.gitlab/ci/*.{yml,yaml}'];
const JENKINS = ['**/Jenkinsfile', '**/Jenkinsfile.*', '**/*.jenkinsfile'];
const DOCKERFILE = ['**/Dockerfile', '**/Containerfile', '**/*.Dockerfile', '**/*.dockerfile', '**/Dockerfile.*'];

function filters(scheme: string): DocumentFilter[] {
  return [
    { scheme, language: 'dockerfile' },
    { scheme, language: 'dockercompose' },
    { scheme, language: 'docker-compose' },
    { scheme, language: 'shellscript' },
    { scheme, language: 'makefile' },
    ...COMPOSE.map((pattern) => ({ scheme, language: 'yaml', pattern })),
    ...CI.map((pattern) => ({ scheme, language: 'yaml', pattern })),
    // A Jenkinsfile is `groovy` when VS Code recognises it, plain text otherwise: match by name.
    ...JENKINS.map((pattern) => ({ scheme, pattern })),
    // Dockerfiles opened without the Docker language (e.g. `Dockerfile.prod` as plain text).
    ...DOCKERFILE.map((pattern) => ({ scheme, pattern })),
  ];
}

/** Files on disk, plus unsaved Dockerfiles. */
export const documentSelector: DocumentFilter[] = [
  ...filters('file'),
  { scheme: 'untitled', language: 'dockerfile' },
];

/** languageIds of the documents the extension cares about (for the status bar's visibility). */
export const languageIds = new Set(['dockerfile', 'dockercompose', 'docker-compose', 'shellscript', 'makefile', 'groovy', 'yaml']);
