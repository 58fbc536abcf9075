import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../src/tasks/openapi.js';
import type { Reply } from './support.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema(openApiDocument, 'api');

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Asserts that a real response is one the OpenAPI document promises for this operation:
 * the status is listed, and the body matches the schema of its media type.
 */
export function expectConforms(method: string, pathTemplate: string, reply: Reply): void {
  const operation = (openApiDocument.paths as unknown as Record<string, Record<string, { responses: Record<string, unknown> }>>)[pathTemplate]?.[method];
  expect(operation, `${method.toUpperCase()} ${pathTemplate} is documented`).toBeDefined();
  const response = operation!.responses[String(reply.status)] as { content?: Record<string, unknown> } | undefined;
  expect(response, `status ${reply.status} of ${method.toUpperCase()} ${pathTemplate} is documented`).toBeDefined();
  if (!response!.content) return;
  const mediaType = reply.headers.get('content-type')?.split(';')[0] ?? '';
  expect(Object.keys(response!.content), 'documented media type').toContain(mediaType);
  const validate = ajv.getSchema(`api#/${pointer('paths', pathTemplate, method, 'responses', String(reply.status), 'content', mediaType, 'schema')}`);
  expect(validate, 'schema compiles').toBeDefined();
  const valid = validate!(reply.body);
  expect(valid ? [] : validate!.errors, `body of ${reply.status} matches the schema`).toEqual([]);
}
