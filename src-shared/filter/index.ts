export { parseFilter, parseIpv4, FilterError, type FilterNode, type RelOp } from './parse';
export { compileFilter, evaluate, fieldsOf, type CompiledFilter } from './evaluate';
export { FIELDS, ANALYSIS_FLAGS, analysisFlagNames, type FilterFrame, type FieldDef, type FieldType } from './fields';
