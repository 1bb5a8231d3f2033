// Puts the browser somewhere on Earth, with permission to say so.
import type { BrowserContext } from '@playwright/test';

export type Place = { latitude: number; longitude: number; accuracy?: number };

/** Shibuya Station, Tokyo: where the demo ATM stands. */
export const SHIBUYA_STATION: Place = { latitude: 35.658034, longitude: 139.701636 };

export async function setLocation(context: BrowserContext, place: Place): Promise<void> {
  await context.grantPermissions(['geolocation']);
  await context.setGeolocation({ accuracy: 10, ...place });
}

/** A point `metres` north of `place` (1° of latitude ≈ 111,320 m). */
export function north(place: Place, metres: number): Place {
  return { ...place, latitude: place.latitude + metres / 111_320 };
}
