import fs from 'node:fs';
import vm from 'node:vm';
import type { DataConverter } from '@temporalio/common';
import { SimplePlugin } from '@temporalio/plugin';
import {
  type BundleOptions,
  type NativeConnection,
  type Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../activities';
import { createChannelAdapters, type ConfiguredChannels } from '../channels';
import type { ChannelAdapters } from '../channels/adapter';
import { EncryptionCodec } from '../codec/encryption-codec';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { PAYLOAD_KEYS_VARIABLE, parsePayloadKeys } from '../codec/payload-keys';
import { CONSENT_KEY_VARIABLE, consentKeyFrom } from '../config/consent-key';
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { createDb, migrateLatest, type Db } from '../db/knex';
import type { ChannelKind } from '../domain/types';
import type { Logger } from '../infra/logger';
import type { LiveChatMetrics } from '../infra/metrics';
import { telemetryInterceptors, telemetrySinks, type Tracing } from '../infra/telemetry';
import { parseHostAllowList, type HostAllowList } from '../infra/url-hosts';
import { createDispatchWorkers } from './create-worker';
import { hasContactSearchAttribute } from './contact-search-attribute';

/** The workflows a worker with this plugin must serve: a designer's workflows file re-exports them. */
export const LIVECHAT_WORKFLOW_TYPES = [
  'sendLiveChatMessage',
  'sendWithFallback',
  'initiateSession',
  'operatorReply',
  'notifyCustomer',
  'bulkNotify',
] as const;

export interface LiveChatPluginOptions {
  /** PostgreSQL: a knex instance of yours, or a URL. Default: `DATABASE_URL`, else the local `livechat` database. */
  db?: Db | string;
  /** The provider adapters. Default: built from the worker's environment (`SMTP_URL`, `TWILIO_*`, `TELEGRAM_*`). */
  channels?: ChannelAdapters;
  /** Dispatches per second per channel kind, held by Temporal across all workers. Default: `*_RATE_LIMIT`. */
  rateLimits?: Partial<Record<ChannelKind, number>>;
  /** Hosts attachments by URL may be fetched from. Default: `ATTACHMENT_URL_HOSTS`. */
  attachmentUrlHosts?: HostAllowList;
  /** Payload encryption keys (`id:base64,…`), or `false` for none. Default: `LIVECHAT_PAYLOAD_KEYS`. */
  payloadKeys?: string | false;
  /** Bring the database schema up to date when the worker starts (default `true`). */
  migrate?: boolean;
  /**
   * Worker Versioning: this worker's deployment and build. Default: `LIVECHAT_DEPLOYMENT_NAME` and
   * `LIVECHAT_BUILD_ID`; unset, the worker is unversioned.
   */
  deployment?: { name: string; buildId: string; defaultVersioningBehavior?: 'PINNED' | 'AUTO_UPGRADE' };
  /**
   * Activities built by you with `createActivities(deps)` (your own clock, adapters, database),
   * instead of the ones the plugin builds from `db`, `channels` and the environment.
   */
  activities?: Activities;
  /** Read settings from here instead of `process.env` (tests). */
  env?: NodeJS.ProcessEnv;
  /** The structured logger the activities log to (`createLogger()`); default: none. */
  logger?: Logger;
  /** Our Prometheus series (`createMetrics()`), counted by the activities; default: not counted. */
  metrics?: LiveChatMetrics;
  /**
   * OpenTelemetry traces (`tracingFromEnv()`): the workflow and activity interceptors and the
   * workflows' span sink are added to the worker (after yours) and its dispatch workers.
   */
  tracing?: Tracing;
}

/** What webpack's `emit` hook hands over, as far as the check reads it. */
interface EmittingCompilation {
  errors: unknown[];
  assets: Record<string, { source(): string | Buffer }>;
}

/** What a worker with the plugin holds while it runs; released when it stops. */
interface Resources {
  db: Db | undefined;
  ownsDb: boolean;
  configured?: ConfiguredChannels;
  activities: Activities;
}

/**
 * A worker with its workflows but without ours fails here, at start, instead of at the first
 * process message (a workflow task failing with "no such function is exported").
 */
export class LiveChatWorkflowsMissing extends Error {
  override readonly name = 'LiveChatWorkflowsMissing';
}

/** The names a bundle's workflows module exports: the bundle is evaluated in a context of its own. */
function exportedWorkflowNames(code: string): string[] | undefined {
  try {
    const context = vm.createContext({ __webpack_module_cache__: {} });
    vm.runInContext(code, context, { timeout: 5_000 });
    const temporal = (context as { __TEMPORAL__?: { importWorkflows?: () => Record<string, unknown> } })
      .__TEMPORAL__;
    const workflows = temporal?.importWorkflows?.();
    return workflows ? Object.keys(workflows) : undefined;
  } catch {
    // A module that cannot run outside the worker's sandbox: the SDK reports it on its own.
    return undefined;
  }
}

function checkWorkflows(code: string, where: string): void {
  const exported = exportedWorkflowNames(code);
  if (!exported) return;
  const missing = LIVECHAT_WORKFLOW_TYPES.filter((name) => !exported.includes(name));
  if (missing.length === LIVECHAT_WORKFLOW_TYPES.length) {
    throw new LiveChatWorkflowsMissing(
      `The workflows of this worker (${where}) do not include livechat-temporal's. Add this line to that file:\n\n` +
        `  export * from 'livechat-temporal/workflows';\n\n` +
        `(a TypeScript plugin cannot add workflows to your bundle itself; the plugin registers the activities, ` +
        `the dispatch queues and the payload codec).`,
    );
  }
  if (missing.length > 0) {
    throw new LiveChatWorkflowsMissing(
      `The workflows of this worker (${where}) lack ${missing.join(', ')} of livechat-temporal's. ` +
        `Re-export all of them: export * from 'livechat-temporal/workflows';`,
    );
  }
}

/**
 * livechat-temporal as a Temporal plugin. Add it to your worker (`Worker.create({ plugins })`) and
 * to your client (`new Client({ plugins })`):
 *
 * - on the worker: registers our database steps, runs one dispatch worker per channel kind beside
 *   it (on `<taskQueue>-dispatch-<kind>`, each with its rate limit), migrates the database at start,
 *   checks that the worker's workflows re-export ours, and closes everything it opened when the
 *   worker stops;
 * - on worker, client and bundler: adds our payload codec (encryption, with keys) after whatever
 *   codecs you have, and our failure converter unless you have your own — never replacing yours.
 */
export class LiveChatPlugin extends SimplePlugin {
  private readonly settings: LiveChatPluginOptions;
  private readonly env: NodeJS.ProcessEnv;
  private resources: Resources | undefined;
  private readonly codec: EncryptionCodec | undefined;
  private dispatchers: Worker[] = [];
  /** The namespace has the LiveChatContacts search attribute (checked when the worker starts). */
  private contactSearchAttribute = false;

  constructor(options: LiveChatPluginOptions = {}) {
    const env = options.env ?? process.env;
    const keys =
      options.payloadKeys === false
        ? undefined
        : parsePayloadKeys(options.payloadKeys ?? env[PAYLOAD_KEYS_VARIABLE]);
    const codec = keys ? new EncryptionCodec(keys) : undefined;
    super({
      name: 'livechat-temporal',
      dataConverter: (existing) => withOurCodec(existing, codec),
    });
    this.settings = options;
    this.env = env;
    this.codec = codec;
  }

  /** Whether payloads are encrypted and the consent key is set, for a start-up line (never a key). */
  describe(): string {
    const payloads = this.codec
      ? 'payloads encrypted (AES-256-GCM)'
      : `payloads NOT encrypted: customers' contact data is stored in Temporal in plaintext (set ${PAYLOAD_KEYS_VARIABLE})`;
    const consent = this.env[CONSENT_KEY_VARIABLE]?.trim()
      ? ''
      : `; ${CONSENT_KEY_VARIABLE} unset: opt-outs and unsubscribe links use the development key`;
    return `${payloads}${consent}`;
  }

  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = super.configureBundler(options);
    const previousHook = configured.webpackConfigHook;
    const where = configured.workflowsPath;
    return {
      ...configured,
      ...(this.codec && !configured.failureConverterPath
        ? { failureConverterPath: FAILURE_CONVERTER_PATH }
        : {}),
      // Once webpack has built the bundle, its workflows must include ours: a missing re-export fails
      // the bundling (and so Worker.create) with a message that says what to add. Checked at `emit`,
      // while the assets still hold their code: once emitted, webpack keeps only their sizes.
      webpackConfigHook: (config) => {
        const hooked = previousHook ? previousHook(config) : config;
        const check = {
          apply(compiler: {
            hooks: { emit: { tap(name: string, fn: (compilation: EmittingCompilation) => void): void } };
          }) {
            compiler.hooks.emit.tap('livechat-temporal', (compilation) => {
              if (compilation.errors.length > 0) return;
              for (const asset of Object.values(compilation.assets)) {
                checkWorkflows(String(asset.source()), where);
              }
            });
          },
        };
        return { ...hooked, plugins: [...(hooked.plugins ?? []), check] };
      },
    };
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    if (!options.connection) {
      throw new ConfigError(
        'LiveChatPlugin needs the worker to be given its connection (Worker.create({ connection: await NativeConnection.connect(…) })): its dispatch workers share it',
      );
    }
    const configured = super.configureWorker(options);
    const resources = this.open();
    const { dispatchMessage: _dispatch, sendBulkPage: _page, ...databaseSteps } = resources.activities;
    const bundle = configured.workflowBundle;
    if (bundle) {
      const code = 'code' in bundle ? bundle.code : fs.readFileSync(bundle.codePath, 'utf8');
      checkWorkflows(code, 'codePath' in bundle ? bundle.codePath : 'the workflow bundle');
    }
    return {
      ...configured,
      activities: { ...(configured.activities ?? {}), ...databaseSteps },
      ...this.versioning(),
      ...this.telemetry(configured),
    };
  }

  /** The states of the dispatch workers this plugin runs (none before the worker runs), for readiness. */
  dispatchWorkerStates(): string[] {
    return this.dispatchers.map((dispatcher) => dispatcher.getState());
  }

  /** Our tracing interceptors and sink after the worker's own, when traces are on. */
  private telemetry(configured: WorkerOptions): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
    const tracing = this.settings.tracing;
    if (!tracing) return {};
    const ours = telemetryInterceptors();
    const theirs = configured.interceptors ?? {};
    return {
      interceptors: {
        ...theirs,
        workflowModules: [...(theirs.workflowModules ?? []), ...(ours.workflowModules ?? [])],
        activity: [...(theirs.activity ?? []), ...(ours.activity ?? [])],
      },
      sinks: { ...configured.sinks, ...telemetrySinks(tracing) },
    };
  }

  override async runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    const resources = this.open();
    if (this.settings.migrate !== false && resources.db) await migrateLatest(resources.db);
    const options = worker.options;
    this.contactSearchAttribute = await hasContactSearchAttribute(
      (options.connection as NativeConnection).operatorService,
      options.namespace,
    );
    const dispatchers = await createDispatchWorkers({
      connection: options.connection as NativeConnection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      // A bulk's page hands messages to the provider too: it runs where the channel's adapters are.
      activities: {
        dispatchMessage: resources.activities.dispatchMessage,
        sendBulkPage: resources.activities.sendBulkPage,
      },
      dataConverter: options.dataConverter,
      rateLimits: this.rateLimits(),
      ...(options.interceptors.activity.length > 0
        ? { interceptors: { activity: options.interceptors.activity } }
        : {}),
      ...this.versioning(),
    });
    this.dispatchers = dispatchers;
    // One stops, all stop: a dispatch worker that fails takes the main worker down with it.
    const running = dispatchers.map((dispatcher) =>
      dispatcher.run().catch((error: unknown) => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        throw error;
      }),
    );
    let failure: unknown;
    try {
      await next(worker);
    } catch (error) {
      failure = error;
    }
    for (const dispatcher of dispatchers) if (dispatcher.getState() === 'RUNNING') dispatcher.shutdown();
    const ended = await Promise.allSettled(running);
    await this.close();
    if (failure !== undefined) throw failure;
    const failed = ended.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private rateLimits(): Partial<Record<ChannelKind, number>> {
    if (this.settings.rateLimits) return this.settings.rateLimits;
    const providers = loadProviderConfig(this.env);
    return {
      email: providers.EMAIL_RATE_LIMIT,
      whatsapp: providers.WHATSAPP_RATE_LIMIT,
      telegram: providers.TELEGRAM_RATE_LIMIT,
    };
  }

  private versioning(): Pick<WorkerOptions, 'workerDeploymentOptions'> {
    const given = this.settings.deployment;
    const name = given?.name ?? this.env.LIVECHAT_DEPLOYMENT_NAME?.trim();
    const buildId = given?.buildId ?? this.env.LIVECHAT_BUILD_ID?.trim();
    if (!name && !buildId) return {};
    if (!name || !buildId) {
      throw new ConfigError(
        'Worker Versioning needs both a deployment name and a build id (LIVECHAT_DEPLOYMENT_NAME and LIVECHAT_BUILD_ID)',
      );
    }
    const behavior =
      given?.defaultVersioningBehavior ??
      (this.env.LIVECHAT_VERSIONING_BEHAVIOR?.trim().toUpperCase() === 'PINNED' ? 'PINNED' : 'AUTO_UPGRADE');
    return {
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: { deploymentName: name, buildId },
        defaultVersioningBehavior: behavior,
      },
    };
  }

  private open(): Resources {
    if (this.resources) return this.resources;
    if (this.settings.activities) {
      const { activities } = this.settings;
      this.resources = { db: undefined, ownsDb: false, activities };
      return this.resources;
    }
    const config = loadConfig(this.env);
    const given = this.settings.db;
    const ownsDb = given === undefined || typeof given === 'string';
    const db = ownsDb
      ? createDb(given ?? config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX })
      : given;
    let configured: ConfiguredChannels | undefined;
    let channels = this.settings.channels;
    if (!channels) {
      configured = createChannelAdapters(loadProviderConfig(this.env));
      channels = configured.adapters;
      if (configured.unconfigured.length > 0) {
        const line = `livechat-temporal: no provider configured for ${configured.unconfigured.join(', ')} (their messages wait until one is)`;
        if (this.settings.logger) this.settings.logger.warn({ unconfigured: configured.unconfigured }, line);
        else console.warn(line);
      }
    }
    const deps: ActivityDeps = {
      db,
      channels,
      attachmentUrlHosts: this.settings.attachmentUrlHosts ?? parseHostAllowList(config.ATTACHMENT_URL_HOSTS),
      ...(this.settings.logger ? { logger: this.settings.logger } : {}),
      ...(this.settings.metrics ? { metrics: this.settings.metrics } : {}),
      // The same rates the dispatch queues keep, held across workers by the database's token bucket.
      rateLimits: this.rateLimits(),
      // Found when the worker starts: the workflows carry it only where the namespace has it.
      contactSearchAttribute: () => this.contactSearchAttribute,
      consentKey: consentKeyFrom(this.env),
    };
    this.resources = {
      db,
      ownsDb,
      ...(configured ? { configured } : {}),
      activities: createActivities(deps),
    };
    return this.resources;
  }

  private async close(): Promise<void> {
    const resources = this.resources;
    this.resources = undefined;
    if (!resources) return;
    await resources.configured?.close();
    if (resources.ownsDb) await resources.db?.destroy();
  }
}

/** Our codec after the caller's (so it encrypts what theirs produced), our failure converter unless they have one. */
function withOurCodec(
  existing: DataConverter | undefined,
  codec: EncryptionCodec | undefined,
): DataConverter {
  if (!codec) return existing ?? {};
  const codecs = existing?.payloadCodecs ?? [];
  return {
    ...existing,
    payloadCodecs: codecs.includes(codec) ? codecs : [...codecs, codec],
    failureConverterPath: existing?.failureConverterPath ?? FAILURE_CONVERTER_PATH,
  };
}
