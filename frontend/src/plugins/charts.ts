// Chart.js with only the pieces the statistics page draws (keeps the bundle small).
import {
  ArcElement, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip,
} from 'chart.js'

Chart.register(ArcElement, BarElement, CategoryScale, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip)

export const PALETTE = ['#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#e53935', '#00acc1', '#fdd835', '#6d4c41', '#3949ab', '#7cb342']

export function paletteFor(count: number): string[] {
  return Array.from({ length: count }, (_, index) => PALETTE[index % PALETTE.length])
}
