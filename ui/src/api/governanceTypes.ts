// The governance views' wire types are generated (./generated); the audit kinds too.
export { AUDIT_KINDS } from './generated/constants';
