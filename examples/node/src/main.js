// Run the shop: `PORT=3000 STRIPE_API_KEY=... node src/main.js` (see settings.js for the rest).

import { createApp } from "./app.js";
import { settingsFromEnv } from "./settings.js";

const server = createApp(settingsFromEnv());
server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`shop listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => server.close());
