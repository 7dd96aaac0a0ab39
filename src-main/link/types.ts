/** Lowercase 'aa:bb:cc:dd:ee:ff', the wire contract's MacAddress (kept here until @shared/wire/address lands). */
export type MacAddress = string;
