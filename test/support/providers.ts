/**
 * The provider modules and normalizers the mutation-* tests use, imported in one place: when the
 * provider code moves (one folder per provider), only these lines change.
 */
export { pressone, normalizePressone } from '../../shared/providers/pressone';
export { pelcro, normalizePelcroSdk, normalizePelcroCore } from '../../shared/providers/pelcro';
export { punchh, normalizePunchh } from '../../shared/providers/punchh';
export { digitalriver, normalizeDigitalRiver } from '../../shared/providers/digitalriver';
