// A Dovecot IMAP server of a test's own (Debian's dovecot-imapd, installed by .ci/run): its config,
// users and mail in a temporary folder, listening on free loopback ports, plaintext login allowed
// over loopback, and an imaps:// port with a self-signed certificate made here.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile, chmod, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { ImapMailboxConfig } from '../../channels/email/imap-config';

const run = promisify(execFile);
const DOVECOT = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';

export interface Dovecot {
  host: string;
  /** Plain IMAP (STARTTLS offered). */
  port: number;
  /** IMAP over TLS. */
  tlsPort: number;
  /** The self-signed certificate's PEM, to trust it. */
  ca: string;
  /** The user created for a test, with its password. */
  addUser(user: string): Promise<{ user: string; password: string }>;
  /** How the reader reaches `user`'s mailbox over plaintext IMAP (loopback only). */
  plainMailbox(user: string, mailbox?: string): ImapMailboxConfig;
  /** The `imap://` URL of the same, for a worker's environment. */
  plainUrl(user: string, mailbox?: string): string;
  /** Delivers a raw mail into the mailbox (IMAP APPEND) and returns its UID. */
  append(user: string, raw: Buffer | string, mailbox?: string): Promise<number>;
  /** The flags of every mail in the mailbox, by UID. */
  flags(user: string, mailbox?: string): Promise<Map<number, string[]>>;
  /** The mailbox's UIDVALIDITY. */
  uidValidity(user: string, mailbox?: string): Promise<string>;
  /**
   * Deletes the mailbox's mails and its UID list and indexes, as a restored or rebuilt mailbox
   * looks: Dovecot gives it a new UIDVALIDITY and numbers its mails from 1 again.
   */
  rebuildInbox(user: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again on the same ports, with the same mail (nothing when it runs). */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether the port greets as IMAP (or, for the TLS port, accepts a connection: TLS speaks first). */
async function answers(port: number, greets = true): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    if (!greets) socket.once('connect', () => done(true));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('* OK')));
    socket.once('error', () => done(false));
    socket.setTimeout(2_000, () => done(false));
  });
}

export async function startDovecot(): Promise<Dovecot> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livechat-dovecot-'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const root = process.getuid?.() === 0;
  // Dovecot refuses to run its login processes as root: as root it uses the users Debian's
  // package made for it; otherwise everything runs as the current user.
  const me = os.userInfo().username;
  const loginUser = root ? 'dovenull' : me;
  const internalUser = root ? 'dovecot' : me;
  const mailUser = root ? 'dovecot' : me;
  await mkdir(path.join(dir, 'mail'));
  await mkdir(path.join(dir, 'run'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    path.join(dir, 'key.pem'),
    '-out',
    path.join(dir, 'cert.pem'),
  ]);
  const ca = (await import('node:fs')).readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const users = new Map<string, string>();
  const config = `
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = livechat-test-${port}
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
# Test server on loopback only: plaintext login is allowed there.
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1
default_login_user = ${loginUser}
default_internal_user = ${internalUser}
default_internal_group = ${internalUser}
# Any user name logs in with this instance's password: each test makes a mailbox of its own by
# choosing a new name (passwd-file reloads lag behind quick rewrites).
passdb {
  driver = static
  args = password=${password}
}
userdb {
  driver = static
  args = uid=${mailUser} gid=${mailUser} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
`;
  const conf = path.join(dir, 'dovecot.conf');
  await writeFile(conf, config);
  if (root) {
    await run('chown', ['-R', `${mailUser}:${mailUser}`, path.join(dir, 'mail')]);
    await chmod(dir, 0o755);
  }
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child && child.exitCode === null) return;
    const started = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    started.stdout?.on('data', (d: Buffer) => void (output += d.toString()));
    started.stderr?.on('data', (d: Buffer) => void (output += d.toString()));
    child = started;
    for (let i = 0; i < 100; i += 1) {
      if (started.exitCode !== null) throw new Error(`dovecot exited: ${output}`);
      if ((await answers(port)) && (await answers(tlsPort, false))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`dovecot did not answer on ${port}: ${output}`);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
    // Its children (login, imap processes) end with the master; wait until the port is free.
    for (let i = 0; i < 50 && (await answers(port)); i += 1) await new Promise((r) => setTimeout(r, 100));
  }

  /** Runs `what` on a fresh connection as `user`; a failure says what the server answered. */
  async function withClient<T>(user: string, what: string, fn: (imap: ImapFlow) => Promise<T>): Promise<T> {
    const imap = await client(user);
    try {
      return await fn(imap);
    } catch (error) {
      const detail = (error as { responseText?: string }).responseText ?? '';
      throw new Error(`dovecot ${what} for ${user}: ${(error as Error).message} ${detail}`, { cause: error });
    } finally {
      await imap.logout().catch(() => imap.close());
    }
  }

  async function client(user: string): Promise<ImapFlow> {
    const password = users.get(user);
    if (!password) throw new Error(`no user ${user}`);
    const imap = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
    });
    imap.on('error', () => undefined);
    await imap.connect();
    return imap;
  }

  const plainMailbox = (user: string, mailbox = 'INBOX'): ImapMailboxConfig => ({
    host: '127.0.0.1',
    port,
    secure: false,
    starttls: false,
    user,
    password: users.get(user) ?? '',
    mailbox,
  });

  await start();
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    ca,
    async addUser(user) {
      users.set(user, password);
      return { user, password };
    },
    plainMailbox,
    plainUrl(user, mailbox = 'INBOX') {
      const box = plainMailbox(user, mailbox);
      return `imap://${encodeURIComponent(user)}:${encodeURIComponent(box.password)}@127.0.0.1:${port}/${encodeURIComponent(mailbox)}?tls=none`;
    },
    append: (user, raw, mailbox = 'INBOX') =>
      withClient(user, 'APPEND', async (imap) => {
        const appended = await imap.append(mailbox, typeof raw === 'string' ? Buffer.from(raw) : raw);
        if (!appended || appended.uid === undefined) throw new Error('APPEND returned no UID');
        return appended.uid;
      }),
    flags: (user, mailbox = 'INBOX') =>
      withClient(user, 'FETCH FLAGS', async (imap) => {
        await imap.mailboxOpen(mailbox, { readOnly: true });
        const flags = new Map<number, string[]>();
        if (imap.mailbox && imap.mailbox.exists > 0) {
          for await (const m of imap.fetch('1:*', { uid: true, flags: true }))
            flags.set(m.uid, [...(m.flags ?? [])].sort());
        }
        return flags;
      }),
    uidValidity: (user, mailbox = 'INBOX') =>
      withClient(user, 'STATUS', async (imap) => {
        const status = await imap.status(mailbox, { uidValidity: true });
        if (!status || status.uidValidity === undefined) throw new Error('no UIDVALIDITY');
        return String(status.uidValidity);
      }),
    async rebuildInbox(user) {
      const maildir = path.join(dir, 'mail', user);
      for (const sub of ['cur', 'new']) {
        for (const file of await readdir(path.join(maildir, sub)).catch(() => [] as string[]))
          await unlink(path.join(maildir, sub, file));
      }
      for (const file of await readdir(maildir)) {
        if (file === 'dovecot-uidlist' || file.startsWith('dovecot.index'))
          await rm(path.join(maildir, file), { force: true });
      }
    },
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
