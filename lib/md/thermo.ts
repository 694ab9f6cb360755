// Thermodynamic output: one line every few steps.
import type { MDFrame, Observer } from './run.js';

export interface ThermoRow {
  step: number;
  /** fs */
  time: number;
  /** K */
  temperature: number;
  /** eV */
  potentialEnergy: number;
  /** eV */
  kineticEnergy: number;
  /** eV */
  totalEnergy: number;
  /** eV */
  conserved: number;
}

export const THERMO_HEADER =
  `${'step'.padStart(10)} ${'time/fs'.padStart(12)} ${'T/K'.padStart(10)} ${'E_pot/eV'.padStart(18)} ` +
  `${'E_kin/eV'.padStart(14)} ${'E_tot/eV'.padStart(18)} ${'conserved/eV'.padStart(18)}`;

export function thermoRow(frame: MDFrame): ThermoRow {
  return {
    step: frame.state.step,
    time: frame.state.time,
    temperature: frame.temperature,
    potentialEnergy: frame.potentialEnergy,
    kineticEnergy: frame.kineticEnergy,
    totalEnergy: frame.potentialEnergy + frame.kineticEnergy,
    conserved: frame.conserved,
  };
}

export function formatThermoRow(row: ThermoRow): string {
  return (
    `${String(row.step).padStart(10)} ${row.time.toFixed(2).padStart(12)} ${row.temperature.toFixed(2).padStart(10)} ` +
    `${row.potentialEnergy.toFixed(8).padStart(18)} ${row.kineticEnergy.toFixed(8).padStart(14)} ` +
    `${row.totalEnergy.toFixed(8).padStart(18)} ${row.conserved.toFixed(8).padStart(18)}`
  );
}

export interface ThermoOptions {
  /** Steps between rows. Default 10. */
  every?: number;
  /** Where text lines go; default console.log. Pass null to only collect rows. */
  write?: ((line: string) => void) | null;
  /** Receives every row as numbers. */
  onRow?: (row: ThermoRow) => void;
}

/** Thermo lines (step, time/fs, T/K, E_pot, E_kin, E_tot, conserved in eV); the header precedes the first row. */
export function thermoObserver(options: ThermoOptions = {}): Observer & { rows: ThermoRow[] } {
  const write = options.write === undefined ? (line: string) => console.log(line) : options.write;
  let header = false;
  const rows: ThermoRow[] = [];
  return {
    every: options.every ?? 10,
    rows,
    observe(frame) {
      const row = thermoRow(frame);
      rows.push(row);
      options.onRow?.(row);
      if (!write) return;
      if (!header) write(THERMO_HEADER);
      header = true;
      write(formatThermoRow(row));
    },
  };
}
