// All findings of one protector at `now`. Each check is a small function of the protector view; this module
// only gathers them.
import type { Estate } from '../estate/model.js';
import type { ProtectorView } from '../health/view.js';
import type { Finding } from '../report.js';
import type { Millis } from '../time.js';
import { expiryFindings } from './expiry.js';
import { checkGeoKeyMaterial } from './geoMaterial.js';
import { geoRotationFindings } from './geoRotation.js';
import { postureFindings } from './posture.js';
import { rotationDueFindings } from './rotationDue.js';

export function deriveFindings(estate: Estate, view: ProtectorView, now: Millis): Finding[] {
  return [
    ...geoRotationFindings(view, now),
    ...checkGeoKeyMaterial(estate, view.protector),
    ...expiryFindings(view, now),
    ...postureFindings(view),
    ...rotationDueFindings(view, now),
  ];
}
