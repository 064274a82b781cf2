import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { QueueName, Queues } from '../jobs/queues.ts';

export const BOARD_PATH = '/admin/queues';

/**
 * Shown under a queue's name in Bull Board. The production queue's one worker is the print desk
 * (jobs/production/lifecycle.ts): it processes nothing by itself, people take jobs through it.
 */
const BOARD_DESCRIPTIONS: Partial<Record<QueueName, string>> = {
  production:
    'Printing is taken by hand: the one worker here is the print desk, which processes nothing by itself. Jobs wait until a person takes the next print with `npm run ordersync -- production take` or POST /api/production/take, then marks it printed or failed.',
};

/** Hop-by-hop and length headers the outer server sets for itself. */
const NOT_FORWARDED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** Bull Board in a Fastify instance of its own that never listens: it answers only what the ops server forwards. */
async function loadBoard(queues: Queues): Promise<FastifyInstance> {
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const adapter = new FastifyAdapter();
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(q, { readOnlyMode: false, description: BOARD_DESCRIPTIONS[q.name as QueueName] ?? '' })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'order-sync-worker' } },
  });
  adapter.setBasePath(BOARD_PATH);
  const board = Fastify({ logger: false });
  await board.register(adapter.registerPlugin(), { prefix: BOARD_PATH });
  await board.ready();
  return board;
}

/**
 * Bull Board at /admin/queues, loaded with its first request. Most workers run for weeks without
 * anyone opening the board, and its packages were a sixth of the worker's resident memory. The
 * routes are the ops server's own, so the ops guard (Host, Origin, login) decides before anything
 * is forwarded.
 */
export function registerQueueBoard(app: FastifyInstance, queues: Queues): void {
  let board: Promise<FastifyInstance> | undefined;
  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    board ??= loadBoard(queues).catch((err: unknown) => {
      board = undefined; // the next request tries again
      throw err;
    });
    const res = await (
      await board
    ).inject({
      method: req.method as 'GET',
      url: req.url,
      headers: req.headers,
      payload: req.body === undefined || req.body === null ? undefined : JSON.stringify(req.body),
    });
    for (const [name, value] of Object.entries(res.headers)) if (!NOT_FORWARDED.has(name) && value !== undefined) reply.header(name, value);
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  const method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...method], url: BOARD_PATH, handler: forward });
  app.route({ method: [...method], url: `${BOARD_PATH}/*`, handler: forward });
}
