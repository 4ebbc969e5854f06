/**
 * The opt-in augment, in a program of its own (a global augmentation reaches every file of the
 * program that sees it, so it cannot share one with the test proving its absence). Imported by
 * package name, so the `./augment` entry of package.json `exports` is checked too.
 */
import '@keyless/express/augment'
import type { AccessToken } from '@keyless/core'
import express from 'express'
import type { RequestKeyless } from '@keyless/express'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const is = <T extends true>(): T => true as T

const app = express()
app.get('/', async (req, res) => {
  is<Equal<typeof req.keyless, RequestKeyless>>()
  const token = req.keyless.getToken('https://vault.azure.net/.default')
  is<Equal<typeof token, Promise<AccessToken>>>()
  // @ts-expect-error: read-only
  req.keyless = { getToken: req.keyless.getToken }
  res.json({ length: (await token).token.length })
})
