import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import {
  AddSshKeyDto,
  CreateVendorDto,
  SetAgeRecipientDto,
  SshKeyView,
  UpdateVendorDto,
  VendorView,
} from './dto/vendor.dto.js';
import { SSH_KEY_LINE_ERRORS, VendorsService } from './vendors.service.js';
import { ApiListResponse, type ListPage, wholeList } from '../../platform/openapi/list-page.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { EmissionErrors } from '../emission.errors.js';
import { PartnersErrors } from '../../partners/partners.errors.js';
import { RegimesErrors } from '../../regimes/regimes.errors.js';

@ApiTags('vendors')
@Controller('v1/vendors')
@Allow(PartnerKind.Operator)
export class VendorsController {
  constructor(private readonly vendors: VendorsService) {}

  @Post()
  @ApiOperation({
    summary: 'Make a personalisation_vendor partner a vendor: SFTP login, regimes served, default or not',
  })
  @ApiCreatedResponse({ type: VendorView })
  @Answers(
    PartnersErrors.PARTNER_NOT_FOUND,
    EmissionErrors.VENDOR_PARTNER_KIND,
    EmissionErrors.VENDOR_EXISTS,
    EmissionErrors.VENDOR_LOGIN_TAKEN,
    EmissionErrors.VENDOR_DEFAULT_TAKEN,
    RegimesErrors.REGIME_UNKNOWN,
    EmissionErrors.VENDOR_REGIME_TAKEN,
  )
  create(@CurrentActor() actor: Actor, @Body() dto: CreateVendorDto): Promise<VendorView> {
    return this.vendors.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Every vendor with its routing and SSH keys (fingerprints only)' })
  @ApiListResponse(VendorView)
  async list(): Promise<ListPage<VendorView>> {
    return wholeList(await this.vendors.list());
  }

  @Patch(':partnerId')
  @ApiOperation({
    summary: 'Change the regimes a vendor serves or whether it is the default (the login never changes)',
  })
  @ApiOkResponse({ type: VendorView })
  @Answers(
    EmissionErrors.VENDOR_NOT_FOUND,
    EmissionErrors.VENDOR_DEFAULT_TAKEN,
    RegimesErrors.REGIME_UNKNOWN,
    EmissionErrors.VENDOR_REGIME_TAKEN,
  )
  update(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() dto: UpdateVendorDto,
  ): Promise<VendorView> {
    return this.vendors.update(actor, partnerId, dto);
  }

  @Put(':partnerId/age-recipient')
  @ApiOperation({
    summary:
      "Register or replace the age X25519 recipient the vendor's personalisation files are encrypted to (perso/2); without one the vendor gets no batch",
  })
  @ApiOkResponse({ type: VendorView })
  @Answers(EmissionErrors.VENDOR_NOT_FOUND, EmissionErrors.AGE_RECIPIENT_INVALID, EmissionErrors.AGE_RECIPIENT_TAKEN)
  setAgeRecipient(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() dto: SetAgeRecipientDto,
  ): Promise<VendorView> {
    return this.vendors.setAgeRecipient(actor, partnerId, dto.recipient);
  }

  @Post(':partnerId/ssh-keys')
  @ApiOperation({ summary: 'Register an OpenSSH public key the vendor logs in to SFTP with' })
  @ApiCreatedResponse({ type: SshKeyView })
  @Answers(EmissionErrors.VENDOR_NOT_FOUND, ...SSH_KEY_LINE_ERRORS)
  addKey(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() dto: AddSshKeyDto,
  ): Promise<SshKeyView> {
    return this.vendors.addKey(actor, partnerId, dto.publicKey);
  }

  @Delete(':partnerId/ssh-keys/:keyId')
  @ApiOperation({ summary: 'Revoke an SSH key: the next SFTP log-in with it fails' })
  @ApiOkResponse({ type: SshKeyView })
  @Answers(EmissionErrors.SSH_KEY_NOT_FOUND)
  revokeKey(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Param('keyId') keyId: string,
  ): Promise<SshKeyView> {
    return this.vendors.revokeKey(actor, partnerId, keyId);
  }
}
