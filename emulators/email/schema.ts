// The `POST /emails:send` body the capture accepts (azure-formats.md §6.1 and fixtures/email/send-request.json).
// Validation mirrors what the service refuses with 400: no sender, no subject, no body, or no `to` recipient.
import { z } from 'zod';

const address = z.object({
  address: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address'),
  displayName: z.string().optional(),
});

export const sendRequestSchema = z.object({
  senderAddress: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address'),
  content: z
    .object({
      subject: z.string().min(1),
      plainText: z.string().optional(),
      html: z.string().optional(),
    })
    .refine((c) => c.plainText !== undefined || c.html !== undefined, { message: 'plainText or html is required' }),
  recipients: z.object({
    to: z.array(address).min(1),
    cc: z.array(address).optional(),
    bcc: z.array(address).optional(),
  }),
  replyTo: z.array(address).optional(),
  attachments: z
    .array(z.object({ name: z.string(), contentType: z.string(), contentInBase64: z.string(), contentId: z.string().nullable().optional() }))
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
  userEngagementTrackingDisabled: z.boolean().optional(),
});

export type SendRequest = z.infer<typeof sendRequestSchema>;

/** `recipients.to[0].address: must be an email address; …` — the issues, without the values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}
