import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { createServer, type Server, type Socket } from 'node:net';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

export type MultiplexServer = Server & { closeAllConnections(): void };

/**
 * One port for both wires the SDK uses against one env URL: HTTP/2 with prior knowledge (gRPC) and
 * HTTP/1.1 (token endpoint, REST, MCP, pages). Each connection's first bytes pick the server; they are
 * read on 'readable', not 'data', so nothing flows before the chosen server takes the socket.
 */
export function createMultiplexServer(http1: HttpServer, http2: Http2Server): MultiplexServer {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onReadable = (): void => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null;)
        head = Buffer.concat([head, chunk]);
      const undecided = head.length < HTTP2_PREFACE.length && HTTP2_PREFACE.subarray(0, head.length).equals(head);
      if (undecided) return;
      socket.off('readable', onReadable);
      socket.unshift(head);
      const target = head.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE) ? http2 : http1;
      target.emit('connection', socket);
    };
    socket.on('readable', onReadable);
  });
  return Object.assign(server, {
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  });
}
