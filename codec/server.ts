import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parseKeySet } from './keys.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

export interface CodecServerOptions {
  /** The deployment's codec keys (`INBOX_AGENT_CODEC_KEYS`). Never the seal keys. */
  codecKeys: string;
  /**
   * Callers present it as `Authorization: Bearer <token>` (`temporal --codec-auth`, scripts), or as
   * the first path segment (`<url>/<token>/decode`): the Web UI sends an Authorization header only
   * with an OIDC login and an https endpoint, so a dev-server UI can only carry it in the URL.
   */
  token: string;
  /** Web UI origins allowed to call from a browser (CORS); any other Origin is refused. */
  origins: string[];
  port?: number;
  host?: string;
}

export interface CodecServer {
  url: string;
  /** What to give the Web UI as its codec endpoint (`--ui-codec-endpoint`): carries the token. */
  uiEndpoint: string;
  close(): Promise<void>;
}

const { Payloads } = proto.temporal.api.common.v1;

/**
 * Temporal's remote codec protocol: POST `/encode` and `/decode` with proto-JSON `Payloads`, the
 * endpoint judged by the last path segment only (so it can be mounted under a prefix), `X-Namespace`
 * accepted and ignored (one key set for the deployment's namespace). It logs no payloads.
 */
export function codecApp({ codecKeys, token, origins }: Omit<CodecServerOptions, 'port' | 'host'>) {
  const codec = new AesGcmPayloadCodec(parseKeySet(codecKeys));
  const expected = Buffer.from(token);
  const matches = (given: string | undefined) =>
    given !== undefined && given.length === token.length && timingSafeEqual(Buffer.from(given), expected);

  const app = express();
  app.disable('x-powered-by');
  // Preflights carry no credentials, so CORS answers them before the auth check.
  app.use(
    cors({
      origin: origins,
      methods: ['POST'],
      allowedHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
      maxAge: 600,
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin && !origins.includes(origin)) return void res.status(403).json({ message: 'origin not allowed' });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const segments = req.path.split('/').filter(Boolean);
    const inPath = segments.length === 2 ? segments[0] : undefined;
    if (!matches(bearer) && !matches(inPath)) return void res.status(401).json({ message: 'unauthorized' });
    next();
  });
  app.use(express.json({ limit: '4mb' }));

  const handle = (convert: (payloads: Payload[]) => Promise<Payload[]>) => async (req: Request, res: Response) => {
    let payloads: Payload[];
    try {
      payloads = Payloads.fromObject(req.body ?? {}).payloads as Payload[];
    } catch {
      return void res.status(400).json({ message: 'expected proto-JSON Payloads' });
    }
    try {
      res.json(Payloads.toObject(Payloads.create({ payloads: await convert(payloads) }), { bytes: String }));
    } catch (err) {
      res.status(400).json({ message: (err as Error).message });
    }
  };
  for (const prefix of ['', '/:token']) {
    app.post(
      `${prefix}/encode`,
      handle((p) => codec.encode(p)),
    );
    app.post(
      `${prefix}/decode`,
      handle((p) => codec.decode(p)),
    );
  }
  return app;
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const app = codecApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    uiEndpoint: `${url}/${encodeURIComponent(options.token)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
