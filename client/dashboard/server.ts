/**
 * The read-only web dashboard (`breach dashboard`): the breaches of this configuration's task
 * queue and each breach's page, from the same visibility list and status query as the CLI. It
 * answers GET only and offers no action: it lists and queries, and never starts, signals or
 * updates a workflow, so it needs no write access to Temporal.
 */
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { BreachIdKey } from '../../domain/search-attributes';
import type { BreachStatus } from '../../domain/status';
import { breachWorkflowId } from '../../domain/ids';
import { statusQuery } from '../../workflows/messages/breach';
import { breachPage, listPage } from './pages';

/** Breaches shown on the list at most; the CLI's `breach list` finds the others. */
const LISTED = 100;

export interface DashboardOptions {
  client: Client;
  taskQueue: string;
  /** Where the Temporal Web UI shows a breach's workflow. */
  webUiLink: (breachId: string) => string;
}

export function createDashboard(options: DashboardOptions): Server {
  return createServer((request, response) => {
    const send = (code: number, type: string, body: string) => {
      response.writeHead(code, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(405, 'text/plain', 'the dashboard is read-only\n');
    }
    const url = new URL(request.url ?? '/', 'http://dashboard');
    route(options, url.pathname)
      .then(({ type, body }) => send(200, type, body))
      .catch((err: unknown) => send(err instanceof NotFound ? 404 : 502, 'text/plain', `${(err as Error).message}\n`));
  });
}

class NotFound extends Error {}

async function route(options: DashboardOptions, pathname: string): Promise<{ type: string; body: string }> {
  if (pathname === '/') return { type: 'text/html', body: listPage() };
  if (pathname === '/api/breaches') return { type: 'application/json', body: JSON.stringify(await breaches(options)) };
  const page = /^\/breaches\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$/.exec(pathname);
  if (page) return { type: 'text/html', body: breachPage(page[1]!, options.webUiLink(page[1]!)) };
  const api = /^\/api\/breaches\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$/.exec(pathname);
  if (api) return { type: 'application/json', body: JSON.stringify(await status(options, api[1]!)) };
  throw new NotFound(`no page ${pathname}`);
}

async function status(options: DashboardOptions, breachId: string): Promise<BreachStatus> {
  try {
    return await options.client.workflow.getHandle(breachWorkflowId(breachId)).query(statusQuery);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new NotFound(`no breach '${breachId}'`);
    throw err;
  }
}

/** The running breaches of this task queue, each with its status, newest first. */
async function breaches(options: DashboardOptions): Promise<BreachStatus[]> {
  const query = `WorkflowType = 'BreachWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${options.taskQueue}'`;
  const ids: string[] = [];
  for await (const execution of options.client.workflow.list({ query })) {
    ids.push(execution.typedSearchAttributes.get(BreachIdKey) ?? execution.workflowId);
    if (ids.length === LISTED) break;
  }
  const statuses = await Promise.all(ids.map((id) => status(options, id).catch(() => undefined)));
  return statuses.filter((s): s is BreachStatus => s !== undefined);
}
