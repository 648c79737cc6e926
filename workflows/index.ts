export { BreachWorkflow } from './breach';
export { NotifyIndividual } from './notify-individual';
