export { BreachWorkflow } from './breach';
export { NotifyCohort } from './notify-cohort';
