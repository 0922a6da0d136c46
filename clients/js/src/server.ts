/**
 * Start `fakeservices serve` for a test run, on free ports, and stop it again (Node only).
 *
 *     import { startServer } from "fakeservices/server";
 *     const server = await startServer();          // parses "fakeservices 0.1.0 http://... smtp://..."
 *     process.env.FAKESERVICES_URL = server.url;
 *     ...
 *     await server.stop();
 */

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface StartServerOptions {
  /** The executable (default `$FAKESERVICES_COMMAND`, else `fakeservices` on the PATH). */
  command?: string;
  /** More `serve` options, e.g. `["--hold-seconds", "5"]`. */
  args?: string[];
  /** `--log-level` (default `warning`: one line per request is noise in a test run). */
  logLevel?: string;
  /** The child's environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds to wait for the start-up line (default 30 s). */
  timeoutMs?: number;
}

export interface RunningServer extends AsyncDisposable {
  /** The HTTP listener, e.g. `http://127.0.0.1:41234`: fakes and admin API. */
  url: string;
  smtpHost: string;
  smtpPort: number;
  /** `FAKESERVICES_URL` and `FAKESERVICES_SMTP` for this server (what `FakeServices.fromEnv` reads). */
  env: { FAKESERVICES_URL: string; FAKESERVICES_SMTP: string };
  process: ChildProcess;
  /** SIGTERM, then wait for the process to exit (SIGKILL if it has not within 5 s). */
  stop(): Promise<void>;
}

const BANNER = /^fakeservices \S+ (https?:\/\/\S+) smtp:\/\/(\S+):(\d+)\s*$/;

/** Run `fakeservices serve --http-port 0 --smtp-port 0` and resolve once it listens. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const command = options.command ?? env.FAKESERVICES_COMMAND ?? "fakeservices";
  const args = [
    "serve",
    "--http-port",
    "0",
    "--smtp-port",
    "0",
    "--log-level",
    options.logLevel ?? "warning",
    ...(options.args ?? []),
  ];
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const banner = new Promise<RegExpMatchArray>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      reject(new Error(`${command} printed no start-up line within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    lines.on("line", (line) => {
      const match = BANNER.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before listening: ${stderr.trim()}`));
    });
  });

  let match: RegExpMatchArray;
  try {
    match = await banner;
  } catch (error) {
    process.removeListener("exit", killOnExit);
    child.kill("SIGKILL");
    throw error;
  }
  const [, url, smtpHost, smtpPort] = match as unknown as [string, string, string, string];
  const exited = child.exitCode !== null ? Promise.resolve() : once(child, "exit").then(() => {});

  const stop = async (): Promise<void> => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    url,
    smtpHost,
    smtpPort: Number(smtpPort),
    env: { FAKESERVICES_URL: url, FAKESERVICES_SMTP: `${smtpHost}:${smtpPort}` },
    process: child,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
