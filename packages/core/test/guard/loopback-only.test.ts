import net from 'node:net'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'

describe('the loopback-only test guard', () => {
  it('refuses a connection to IMDS before it is made', async () => {
    const socket = net.connect({ host: '169.254.169.254', port: 80 })
    const error = await new Promise<unknown>((resolve) => socket.once('error', resolve))
    expect(error).toMatchObject({ code: 'ERR_TEST_NON_LOOPBACK' })
  })

  it('refuses an undici request to a non-loopback address', async () => {
    await expect(request('http://169.254.169.254/metadata/identity/oauth2/token')).rejects.toMatchObject({ code: 'ERR_TEST_NON_LOOPBACK' })
  })

  it('refuses global fetch to a public host name', async () => {
    await expect(fetch('https://login.microsoftonline.com/')).rejects.toMatchObject({
      cause: expect.objectContaining({ code: 'ERR_TEST_NON_LOOPBACK' }),
    })
  })

  it('lets loopback through', async () => {
    const server = net.createServer((s) => s.end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    const socket = net.connect({ host: '127.0.0.1', port })
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it.each(['10.0.0.1', '8.8.8.8', 'example.com', '::ffff:10.0.0.1', '128.0.0.1', '2001:db8::1'])('refuses %s', async (host) => {
    const socket = net.connect({ host, port: 443 })
    await expect(new Promise((_, reject) => socket.once('error', reject))).rejects.toMatchObject({ code: 'ERR_TEST_NON_LOOPBACK' })
  })
})
