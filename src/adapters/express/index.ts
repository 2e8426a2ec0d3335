export { opskitExpress, type OpskitExpress, type OpskitLocals } from "./express-router.js";
export {
  adaptService,
  startAdaptedService,
  type AdaptedRequest,
  type AdaptedService,
  type FrameworkAnswer,
} from "../adapted-service.js";
