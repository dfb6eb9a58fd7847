import { Connections, describeDatabaseUrl } from '../../../client/connections';

test('a database URL is shown without its user and password', () => {
  expect(describeDatabaseUrl('postgres://app:s3cret@db.internal:5432/livechat')).toBe(
    'db.internal:5432/livechat',
  );
  expect(describeDatabaseUrl('not a url with s3cret')).toBe('the DATABASE_URL (which is not a valid URL)');
});

test('an unreachable database is DatabaseUnreachable, naming the server but not the password', async () => {
  const connections = new Connections({
    databaseUrl: 'postgres://app:s3cret@127.0.0.1:1/livechat',
    temporal: () => {
      throw new Error('history needs no Temporal');
    },
  });
  try {
    const failure = await connections.db().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      name: 'DatabaseUnreachable',
      message: expect.stringMatching(/^cannot use PostgreSQL at 127\.0\.0\.1:1\/livechat: /),
    });
    expect(String((failure as Error).message)).not.toContain('s3cret');
  } finally {
    await connections.close();
  }
});
