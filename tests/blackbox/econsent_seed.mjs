// The econsent seed's post-call example (shared/seeds), and the two consents it names, for the
// evidence suites.

// The seed's request body, exactly as documented.
export const SEED_BODY = `{
"call_id": "call_xyz789",
"phone": "+15551234567",
"calling_entity": "Acme Insurance LLC",
"calling_number": "+18005550100",
"started_at": "2026-04-10T15:42:00Z",
"ended_at": "2026-04-10T15:46:30Z",
"duration_seconds": 270,
"outcome": "completed",
"audio_recording_url": "https://storage.yourplatform.com/recordings/call_xyz789.wav",
"full_transcript": "...",
"ai_disclosures_made": [
{
"type": "ai_identity",
"at_seconds": 1,
"text": "Hi, this is an AI assistant calling on behalf of Acme Insurance."
},
{
"type": "callback_number",
"at_seconds": 4,
"text": "Our callback number is 800-555-0100."
},
{
"type": "opt_out_instructions",
"at_seconds": 6,
"text": "If you'd like to opt out at any time, just say stop or press 9."
}
],
"consent_ids_used": ["cst_lx8k7n3f4g5h6j7k"],
"consent_ids_captured": ["cst_lx8ka1b2c3d4e5f6"]
}`;
export const SEED = Object.freeze(JSON.parse(SEED_BODY));

// The consents the seed's request names: the written one it relied on, the verbal one it captured.
export const WRITTEN = Object.freeze({
  consent_id: 'cst_lx8k7n3f4g5h6j7k', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
  type: 'prior_express_written', scope: ['ai_voice', 'telemarketing'], captured_at: '2026-04-01T12:00:00Z',
});
export const VERBAL = Object.freeze({
  consent_id: 'cst_lx8ka1b2c3d4e5f6', call_id: 'call_xyz789', phone: '+15551234567',
  calling_entity: 'Acme Insurance LLC', captured_at: '2026-04-10T15:44:00Z', transcript: 'Yes, I agree.',
  agent_disclosure_text: 'May we text you about your policy?', consent_scope: ['ai_sms'],
});

/** A sealable call in the seed's post-call shape without its consent ids (add call_id): the
 * three disclosures of the seed's example, at the seed's seconds. */
export const SEAL_CALL = Object.freeze({
  phone: '+15551234567', calling_entity: 'Acme Insurance LLC', calling_number: '+18005550100',
  started_at: '2026-04-10T15:42:00Z', ended_at: '2026-04-10T15:46:30Z', duration_seconds: 270, outcome: 'completed',
  ai_disclosures_made: [
    { type: 'ai_identity', at_seconds: 1, text: 'Hi, this is an AI assistant calling on behalf of Acme Insurance.' },
    { type: 'callback_number', at_seconds: 4, text: 'Our callback number is 800-555-0100.' },
    { type: 'opt_out_instructions', at_seconds: 6, text: "If you'd like to opt out at any time, just say stop or press 9." },
  ],
});
