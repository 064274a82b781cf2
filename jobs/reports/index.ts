import type { FastifyInstance } from 'fastify';
import { listOrders } from '../../db/reports.ts';
import { ValidationError } from '../../src/errors.ts';
import type { WorkerFeature } from '../../src/worker.ts';
import { productionRules } from '../production/index.ts';
import { buildReport } from './report.ts';
import { parseOrdersQuery, parseReportQuery } from './report-input.ts';

/** The data views over HTTP: the sales report and the order list, with the CLI's input schemas. */
export const reportsFeature: WorkerFeature = {
  name: 'reports',
  routes: (s) => async (root: FastifyInstance) => {
    await root.register(async (app) => {
      app.setErrorHandler((err, _req, reply) => {
        if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, field: err.field });
        return reply.send(err);
      });
      app.get<{ Querystring: unknown }>('/api/report', async (req) =>
        buildReport(s.db, productionRules(s.config.productionRulesPath), parseReportQuery({ ...(req.query as object) })),
      );
      app.get<{ Querystring: unknown }>('/api/orders', async (req) => listOrders(s.db, parseOrdersQuery({ ...(req.query as object) })));
    });
  },
};
