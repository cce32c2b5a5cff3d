/**
 * The provider calls and normalizers the mutation-* tests use, imported in one place from the
 * provider folders (shared/providers/<id>/): when provider code moves, only these lines change.
 */
export { call as pressone } from '../../shared/providers/pressone/call';
export { normalizePressone } from '../../shared/providers/pressone/native';
export { call as pelcro } from '../../shared/providers/pelcro/call';
export { normalizePelcroSdk, normalizePelcroCore } from '../../shared/providers/pelcro/native';
export { call as punchh } from '../../shared/providers/punchh/call';
export { normalizePunchh } from '../../shared/providers/punchh/native';
export { call as digitalriver } from '../../shared/providers/digitalriver/call';
export { normalizeDigitalRiver } from '../../shared/providers/digitalriver/native';
