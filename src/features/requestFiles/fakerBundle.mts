/**
 * The faker bundle (dist/faker.js), built apart from the extension and loaded only when a request file uses
 * {{$faker …}}, so activation never pays for it. A selection of locales keeps the package small.
 */
import { fakerDE, fakerEN, fakerES, fakerFR, fakerIT, fakerJA, fakerKO, fakerNL, fakerPL, fakerPT_BR, fakerRU, fakerZH_CN, fakerZH_TW, type Faker } from '@faker-js/faker';

const BY_LOCALE: Record<string, Faker> = {
  en: fakerEN,
  de: fakerDE,
  es: fakerES,
  fr: fakerFR,
  it: fakerIT,
  ja: fakerJA,
  ko: fakerKO,
  nl: fakerNL,
  pl: fakerPL,
  pt_BR: fakerPT_BR,
  ru: fakerRU,
  zh_CN: fakerZH_CN,
  zh_TW: fakerZH_TW,
};

/** The faker of a locale (en when the locale is not bundled). */
export function fakerFor(locale: string): Faker {
  return BY_LOCALE[locale] ?? fakerEN;
}

export const FAKER_LOCALES = Object.keys(BY_LOCALE);
