export { ProcessUnitManager, type ProcessUnitManagerOptions } from "./process-unit-manager";
