/**
 * `ms` ships its types at dist/index.d.ts but its package.json `exports` has no `types` condition, so
 * NodeNext resolution cannot find them for an ESM import. These are the same declarations.
 */
declare module 'ms' {
  type Unit =
    | 'Years'
    | 'Year'
    | 'Yrs'
    | 'Yr'
    | 'Y'
    | 'Weeks'
    | 'Week'
    | 'W'
    | 'Days'
    | 'Day'
    | 'D'
    | 'Hours'
    | 'Hour'
    | 'Hrs'
    | 'Hr'
    | 'H'
    | 'Minutes'
    | 'Minute'
    | 'Mins'
    | 'Min'
    | 'M'
    | 'Seconds'
    | 'Second'
    | 'Secs'
    | 'Sec'
    | 's'
    | 'Milliseconds'
    | 'Millisecond'
    | 'Msecs'
    | 'Msec'
    | 'Ms';
  type UnitAnyCase = Unit | Uppercase<Unit> | Lowercase<Unit>;
  export type StringValue = `${number}` | `${number}${UnitAnyCase}` | `${number} ${UnitAnyCase}`;
  interface Options {
    long?: boolean;
  }
  function ms(value: StringValue, options?: Options): number;
  function ms(value: number, options?: Options): string;
  export default ms;
}
