export { BreachWorkflow } from './breach';
