import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The HTTP half of a graceful stop. Node's `server.close()` stops accepting and closes idle connections, but a
 * keep-alive connection whose request was in flight stays open after its answer until the keep-alive timeout
 * (72 s in fastify), and cutting it instead resets the client. Here every answer given once the stop has begun says
 * `Connection: close`, a connection is ended as soon as its last answer is sent, and what is still open at the
 * deadline is cut. Attach before `listen()`.
 */
export class HttpDrain {
  /** Open connections and the number of requests each is answering. */
  private readonly connections = new Map<Socket, number>();
  private stopping = false;
  private allClosed: (() => void) | null = null;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, 0);
      socket.once('close', () => {
        this.connections.delete(socket);
        if (this.connections.size === 0) this.allClosed?.();
      });
    });
    // First listener: runs before the application writes anything.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
      if (this.stopping) res.setHeader('Connection', 'close');
      res.once('close', () => {
        if (!this.connections.has(socket)) return;
        const left = this.connections.get(socket)! - 1;
        this.connections.set(socket, left);
        if (this.stopping && left === 0) socket.end();
      });
    });
  }

  /**
   * Stops accepting connections, closes the idle ones, lets requests in flight finish, and cuts what is left at
   * `deadline` (epoch ms). Resolves with the number of connections cut.
   */
  async stop(deadline: number): Promise<number> {
    this.stopping = true;
    this.server.close();
    for (const [socket, requests] of this.connections) if (requests === 0) socket.end();
    if (this.connections.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.allClosed = resolve;
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      clearTimeout(timer);
    }
    const cut = this.connections.size;
    for (const socket of this.connections.keys()) socket.destroy();
    return cut;
  }
}
