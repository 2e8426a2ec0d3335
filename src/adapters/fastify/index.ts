export {
  opskitFastify,
  requireAuth,
  requireRole,
  type OpskitFastifyOptions,
} from "./fastify-plugin.js";
export {
  adaptService,
  startAdaptedService,
  type AdaptedRequest,
  type AdaptedService,
  type FrameworkAnswer,
} from "../adapted-service.js";
