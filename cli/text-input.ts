/**
 * What the CLI reads besides its arguments: a long text from a file or stdin (`--text-file`), and a
 * password from a terminal prompt that does not echo it, or from stdin (`--password-stdin`). A
 * password is never an argument: arguments are visible to every user of the machine (`ps`).
 */
import fs from 'node:fs';
import { UsageError } from './inputs';

/** Reads all of stdin (a pipe, a file, a here-document). */
export function readStdin(): string {
  return fs.readFileSync(0, 'utf8');
}

/** A file's text, `-` for stdin; one final line break (that editors add) is not part of it. */
export function readTextFile(file: string, flag: string): string {
  let text: string;
  try {
    text = file === '-' ? readStdin() : fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${flag}: cannot read ${file === '-' ? 'stdin' : file} (${code})`);
  }
  return text.replace(/\r?\n$/, '');
}

/** `--text` or `--text-file`, exactly one (or none when `required` is false). */
export function textOption(
  options: { text?: string | undefined; textFile?: string | undefined },
  names: { text: string; file: string },
  required: boolean,
): string | undefined {
  if (options.text !== undefined && options.textFile !== undefined)
    throw new UsageError(`give only one of ${names.text}, ${names.file}`);
  if (options.textFile !== undefined) return readTextFile(options.textFile, names.file);
  if (options.text === undefined && required)
    throw new UsageError(`give one of ${names.text}, ${names.file}`);
  return options.text;
}

/** A line typed at the terminal without showing it; Ctrl-C or Ctrl-D ends it with a UsageError. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    throw new UsageError('no terminal to ask for the password: give it on stdin with --password-stdin');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003' || char === '\u0004') {
          finish();
          reject(new UsageError('no password given'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password: from stdin (its first line) with `--password-stdin`, else asked twice at the terminal. */
export async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const [first = ''] = readStdin().split(/\r?\n/);
    return first;
  }
  const password = await promptHidden('New password: ');
  const again = await promptHidden('Again: ');
  if (password !== again) throw new UsageError('the two passwords differ; nothing was changed');
  return password;
}
