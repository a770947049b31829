import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Tauri loads the built files from disk, so asset paths must be relative.
export default defineConfig({
  base: './',
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    // No inline assets: every asset is a file the strict CSP ('self') allows.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
