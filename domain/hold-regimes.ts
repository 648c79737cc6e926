/**
 * What a law-enforcement hold may delay under each regime of a breach: the regimes it is placed
 * under, the forms of request they accept, and when a hold of a limited form stops delaying their
 * notices (an oral HIPAA request after 30 days, unless a written statement follows).
 */
import { addDays } from 'date-fns/addDays';
import { TZDate } from '@date-fns/tz';
import type { Hold, PlaceHoldRequest } from './holds';
import type { RulePack } from './regimes/rule-pack';

/** Why a hold with this form and these regimes cannot be placed on a breach under `packs`, or undefined. */
export function holdRegimesProblem(request: Pick<PlaceHoldRequest, 'form' | 'regimes'>, packs: RulePack[]): string | undefined {
  const known = new Map(packs.map((p) => [p.id, p]));
  const unknown = request.regimes?.find((r) => !known.has(r));
  if (unknown) return `'${unknown}' is not a regime of this breach (it has ${packs.map((p) => p.id).join(', ')})`;
  const named = request.regimes?.map((r) => known.get(r)!) ?? packs.filter((p) => p.lawEnforcement);
  const noDelay = named.find((p) => !p.lawEnforcement);
  if (noDelay) return `${noDelay.name} lets no law-enforcement hold delay its notices`;
  if (!named.length) return 'no regime of this breach lets a law-enforcement hold delay its notices';
  const formMatters = named.find((p) => p.lawEnforcement!.forms.length < 2 || p.lawEnforcement!.maxDays);
  if (!request.form && formMatters) return `give the form of the agency's request (--form written|oral): ${formMatters.name} treats them differently`;
  const refuses = request.form && named.find((p) => !p.lawEnforcement!.forms.includes(request.form!));
  if (refuses && request.regimes) return `${refuses.name} accepts only a ${refuses.lawEnforcement!.forms.join(' or ')} law-enforcement request, not an ${request.form} one`;
  if (refuses && !named.some((p) => p.lawEnforcement!.forms.includes(request.form!))) return `no regime of this breach accepts an ${request.form} law-enforcement request`;
  return undefined;
}

/** The regimes a hold is placed under: those named, or every regime of the breach that accepts its form. */
export function holdRegimes(request: Pick<PlaceHoldRequest, 'form' | 'regimes'>, packs: RulePack[]): string[] {
  if (request.regimes) return request.regimes;
  return packs.filter((p) => p.lawEnforcement && (!request.form || p.lawEnforcement.forms.includes(request.form))).map((p) => p.id);
}

/** When the hold stops delaying each regime that limits its form, counted from the request or from its written statement. */
export function holdLapses(hold: Hold, packs: RulePack[]): { regime: string; at: Date }[] {
  const from = hold.writtenStatement?.at ?? hold.placedAt;
  return packs.flatMap((pack) => {
    const days = hold.form && hold.regimes?.includes(pack.id) ? pack.lawEnforcement?.maxDays?.[hold.form] : undefined;
    return days ? [{ regime: pack.id, at: new Date(addDays(new TZDate(Date.parse(from), pack.timeZone), days).getTime()) }] : [];
  });
}
